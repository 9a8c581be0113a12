/** Shared test setup for the Azure app: a throwaway local registry and an in-process synth. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'cdktf';
import { afterAll, expect } from 'vitest';
import { azureStackProps, loadAzureApp } from '../../azure/compose.ts';
import type { AzureAppConfig } from '../../azure/config.ts';
import type { ModelSource } from '../../azure/model-source.ts';
import { AzureStack, STACK_ID, type AzureStackProps } from '../../azure/stack.ts';
import { UserError } from '../../model/user-error.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/[\\/]$/, '');

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh synth output folder inside the checkout's git-ignored cdktf.out/, as
 * `cdktf synth` uses: the stack reaches the build context and the state file by
 * paths relative to its own folder, which only stay machine-independent when
 * the output sits inside the checkout. Removed after the test file.
 */
export function makeOutdir(): string {
  const parent = join(REPO_ROOT, 'cdktf.out');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'test-'));
  outdirs.push(dir);
  return dir;
}

/** A folder registry like `rookery train` writes: penguins/versions/<n>/ with MLmodel, and aliases.json. */
export function makeRegistry(champion = 3, versions: number[] = [champion]): string {
  const root = mkdtempSync(join(tmpdir(), 'rookery-azure-registry-'));
  for (const v of versions) {
    const dir = join(root, 'penguins', 'versions', String(v));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'MLmodel'), `artifact_path: model\nflavors:\n  rookery:\n    model_file: model.json\nmodel_uuid: test-${v}\n`);
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ version: v, weights: [[0.1, 0.2]] }));
    writeFileSync(join(dir, 'version.json'), JSON.stringify({ name: 'penguins', version: v }));
  }
  writeFileSync(join(root, 'penguins', 'aliases.json'), JSON.stringify({ champion }));
  return root;
}

/** What azure/main.ts reads before synth: the configuration and the resolved model. */
export function loadAzure(env: Record<string, string>, context: Record<string, unknown> = {}): Promise<{ config: AzureAppConfig; model: ModelSource }> {
  return loadAzureApp({ env, context: (k) => context[k], repoRoot: REPO_ROOT });
}

export interface Synthesized {
  /** The stack's props, as azure/main.ts builds them. */
  config: AzureStackProps;
  stack: AzureStack;
  json: TerraformJson;
  text: string;
  outdir: string;
}

export interface TerraformJson {
  terraform: Record<string, any>;
  provider: Record<string, any[]>;
  variable: Record<string, any>;
  resource: Record<string, Record<string, any>>;
  data: Record<string, Record<string, any>>;
  output: Record<string, { value: unknown }>;
}

/** Synthesizes the `azure` stack in-process into a temporary folder, as azure/main.ts does, and returns its Terraform JSON. */
export async function synthAzure(env: Record<string, string>, options: { hcl?: boolean } = {}): Promise<Synthesized> {
  const outdir = makeOutdir();
  const { config, model } = await loadAzure(env);
  // cdktf's stack synthesizer reads HCL mode from the environment (as `cdktf synth --hcl` sets it), not from App options.
  const previous = process.env.SYNTH_HCL_OUTPUT;
  process.env.SYNTH_HCL_OUTPUT = options.hcl ? 'true' : 'false';
  let stack: AzureStack;
  let props: AzureStackProps;
  try {
    const app = new App({ outdir, hclOutput: options.hcl ?? false });
    props = azureStackProps(config, model, { repoRoot: REPO_ROOT, outdir });
    stack = new AzureStack(app, STACK_ID, props);
    app.synth();
  } finally {
    if (previous === undefined) delete process.env.SYNTH_HCL_OUTPUT;
    else process.env.SYNTH_HCL_OUTPUT = previous;
  }
  const file = join(outdir, 'stacks', STACK_ID, options.hcl ? 'cdk.tf' : 'cdk.tf.json');
  const text = readFileSync(file, 'utf8');
  return { config: props, stack, json: options.hcl ? ({} as TerraformJson) : (JSON.parse(text) as TerraformJson), text, outdir };
}

/** The single resource of a type (fails loudly when there are zero or several). */
export function only(json: TerraformJson, type: string): any {
  const all = Object.values(json.resource[type] ?? {});
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}

/** The azapi_resource whose type starts with the given ARM resource type. */
export function azapi(json: TerraformJson, resourceType: string): any {
  const matches = Object.values(json.resource.azapi_resource ?? {}).filter((r: any) => String(r.type).split('@')[0] === resourceType);
  if (matches.length !== 1) throw new Error(`expected one azapi_resource of ${resourceType}, found ${matches.length}`);
  return matches[0];
}

/** The one-line message a UserError carries (fails the test for any other outcome). */
export async function errorOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a UserError');
}
