// Runs once per vitest run, in the main process. It only creates a scratch
// folder shared by the test files of this run (cheap, whatever is being run);
// the serving tests build the image bundle and train their model into it on
// first use (test/helpers/server.ts), so that happens once per run, not per file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder for this run's shared fixtures (the serving tests' bundle and model). */
    rookeryRunDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'rookery-run-'));
  project.provide('rookeryRunDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
