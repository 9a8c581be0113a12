/**
 * The synthesized Terraform (JSON and HCL) is the same on every machine: no
 * absolute path in it, and every path Terraform follows is relative to the
 * stack's folder. Runs the exact entry cdktf.json runs, as `cdktf synth`
 * starts it (CDKTF_OUTDIR, SYNTH_HCL_OUTPUT), with its own registry.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATE_FILE } from '../../azure/stack.ts';
import { makeOutdir, makeRegistry, REPO_ROOT } from './fixtures.ts';

function synth(env: Record<string, string>, options: { hcl?: boolean } = {}) {
  const outdir = makeOutdir();
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('ROOKERY_') && k !== 'CDKTF_CONTEXT_JSON' && k !== 'SYNTH_HCL_OUTPUT'),
  );
  const run = () =>
    spawnSync(process.execPath, ['--import', 'tsx', 'azure/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...clean, ...env, CDKTF_OUTDIR: outdir, SYNTH_HCL_OUTPUT: String(options.hcl ?? false) },
      encoding: 'utf8',
      timeout: 60_000,
    });
  return { outdir, stackDir: join(outdir, 'stacks', 'azure'), run };
}

/** Every machine-specific folder the synth could have seen. */
function machinePaths(...extra: string[]): string[] {
  const paths = [REPO_ROOT, tmpdir(), homedir(), ...extra];
  return [...new Set(paths.flatMap((p) => [p, realpathSync(p)]))].filter((p) => p.length > 1);
}

function expectNoMachinePath(text: string, paths: string[]) {
  for (const p of paths) expect(text, `synthesized output contains ${p}`).not.toContain(p);
  // No absolute POSIX path rooted at a usual top-level folder, nor a Windows drive path.
  expect(text).not.toMatch(/["'=\s](\/(home|root|tmp|var|Users|work|private|mnt|opt)\/)/);
  expect(text).not.toMatch(/[A-Za-z]:\\\\/);
}

describe('synth with ROOKERY_AZURE_PREFIX and a trained model', () => {
  it('writes Terraform JSON with no absolute path, every path relative to the stack folder', () => {
    const registry = makeRegistry(3, [2, 3]);
    const { outdir, stackDir, run } = synth({ ROOKERY_AZURE_PREFIX: 'rkportable', ROOKERY_REGISTRY: registry });
    // A cdk.tf left over from an older `cdktf synth --hcl` into the same folder.
    mkdirSync(stackDir, { recursive: true });
    writeFileSync(join(stackDir, 'cdk.tf'), 'resource "x" "stale" {}\n');
    const result = run();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readdirSync(stackDir).filter((f) => f.startsWith('cdk.tf'))).toEqual(['cdk.tf.json']);

    const text = readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8');
    expectNoMachinePath(text, machinePaths(registry, outdir));
    const json = JSON.parse(text);

    const state = json.terraform.backend.local.path;
    expect(isAbsolute(state)).toBe(false);
    expect(resolve(stackDir, state)).toBe(join(REPO_ROOT, STATE_FILE));

    const build = Object.values(json.resource.terraform_data)[0] as any;
    const workingDir = build.provisioner[0]['local-exec'].working_dir;
    expect(isAbsolute(workingDir)).toBe(false);
    expect(resolve(stackDir, workingDir)).toBe(REPO_ROOT);

    const blobs = Object.values(json.resource.azurerm_storage_blob) as any[];
    // MLmodel and model.json: the registry's version.json is bookkeeping, not model (model/content-hash.ts).
    expect(blobs).toHaveLength(2);
    for (const blob of blobs) {
      expect(blob.source).toMatch(/^assets\//);
      const file = blob.name.split('/').pop();
      expect(readFileSync(join(stackDir, blob.source))).toEqual(readFileSync(join(registry, 'penguins', 'versions', '3', file)));
    }

    const model = (Object.values(json.resource.azapi_resource) as any[]).find((r) => r.type.startsWith('Microsoft.MachineLearningServices/workspaces/models/versions@'));
    expect(model.body.properties.description).toBe('penguins@champion (version 3) from the local registry');
  });

  it('writes HCL alone in its folder, with no absolute path and the model files beside it', () => {
    const registry = makeRegistry(4, [4]);
    const { outdir, stackDir, run } = synth({ ROOKERY_AZURE_PREFIX: 'rkportable', ROOKERY_REGISTRY: registry }, { hcl: true });
    // A cdk.tf.json left in the same folder would make Terraform declare everything twice.
    mkdirSync(stackDir, { recursive: true });
    writeFileSync(join(stackDir, 'cdk.tf.json'), '{}\n');
    const result = run();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readdirSync(stackDir).filter((f) => f.startsWith('cdk.tf'))).toEqual(['cdk.tf']);

    const text = readFileSync(join(stackDir, 'cdk.tf'), 'utf8');
    expectNoMachinePath(text, machinePaths(registry, outdir));
    const state = /backend "local" \{\s*path\s*=\s*"([^"]+)"/.exec(text)?.[1];
    expect(state).toBeDefined();
    expect(resolve(stackDir, state!)).toBe(join(REPO_ROOT, STATE_FILE));
    const sources = [...text.matchAll(/^\s*source\s*=\s*"(assets\/[^"]+)"/gm)].map((m) => m[1]);
    expect(sources).toHaveLength(2);
    for (const source of sources) expect(existsSync(join(stackDir, source))).toBe(true);
  });
});

describe('synth with ROOKERY_AZURE_PREFIX and no model', () => {
  it('stops with one line naming the empty registry and how to fill it, and writes no Terraform', () => {
    const registry = mkdtempSync(join(tmpdir(), 'rookery-azure-empty-registry-'));
    const { stackDir, run } = synth({ ROOKERY_AZURE_PREFIX: 'rkportable', ROOKERY_REGISTRY: registry });
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      `azure: no penguins@champion in the local registry ${registry}; run \`npm start\` or \`rookery train\` to train and register one, or set ROOKERY_AZURE_MODEL_DIR`,
    ]);
    expect(existsSync(join(stackDir, 'cdk.tf.json'))).toBe(false);
  });
});

describe('npm run azure:hcl', () => {
  const script = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).scripts['azure:hcl'] as string;
  const output = /--output[= ](\S+)/.exec(script)?.[1];

  it('writes the HCL to its own folder, never to cdktf.out where `cdktf deploy` and `destroy` read cdk.tf.json', () => {
    expect(script).toMatch(/(^|&& )cdktf synth --hcl /);
    // cdktf's App makes only the last folder of --output: in a fresh clone cdktf.out does not exist yet.
    expect(script).toMatch(new RegExp(`^mkdir -p ${output} && `));
    expect(output).toBeDefined();
    expect(resolve(REPO_ROOT, output!)).not.toBe(join(REPO_ROOT, 'cdktf.out'));
    // Inside the checkout (and git-ignored), so the relative paths to the build context and the state file hold.
    expect(resolve(REPO_ROOT, output!).startsWith(REPO_ROOT + '/')).toBe(true);
    expect(readFileSync(join(REPO_ROOT, '.gitignore'), 'utf8').split('\n')).toContain(`${output!.split('/')[0]}/`);
  });

  it('is where the README sends plain Terraform users', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Plain Terraform'));
    expect(section).toContain(`cd ${output}/stacks/azure`);
  });
});
