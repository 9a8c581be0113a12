// The repository's GitHub Actions workflows, read and parsed for the workflow tests.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const WORKFLOWS_DIR = join(ROOT, '.github', 'workflows');

export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

export interface Job {
  'runs-on': string;
  environment?: string | { name: string };
  permissions?: Record<string, string> | string;
  steps: Step[];
  needs?: string | string[];
  if?: string;
}

export interface Workflow {
  file: string;
  path: string;
  text: string;
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  jobs: Record<string, Job>;
}

export function readWorkflows(): Workflow[] {
  return readdirSync(WORKFLOWS_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((file) => {
      const path = join(WORKFLOWS_DIR, file);
      const text = readFileSync(path, 'utf8');
      return { file, path, text, ...(parse(text) as Omit<Workflow, 'file' | 'path' | 'text'>) };
    });
}

/** Every file under .github/, as relative path and text. */
export function githubFiles(dir = join(ROOT, '.github'), rel = '.github'): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? githubFiles(join(dir, e.name), `${rel}/${e.name}`) : [{ path: `${rel}/${e.name}`, text: readFileSync(join(dir, e.name), 'utf8') }],
  );
}

/** The step's action without its version: `aws-actions/configure-aws-credentials`. */
export const actionOf = (step: Step): string | undefined => step.uses?.split('@')[0];

export const CLOUD_LOGINS = new Set(['aws-actions/configure-aws-credentials', 'azure/login']);
