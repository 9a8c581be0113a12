import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRegistry, REPO_ROOT } from './fixtures.ts';

/** The exact entry cdktf.json runs (`tsx azure/main.ts`), as a child process like `cdktf synth` starts it. */
function runApp(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ROOKERY_AZURE_') && k !== 'CDKTF_CONTEXT_JSON'));
  return spawnSync(process.execPath, ['--import', 'tsx', 'azure/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('azure/main.ts', () => {
  it('synthesizes the azure stack offline', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'rookery-azure-main-'));
    const result = runApp({ ROOKERY_AZURE_PREFIX: 'rkmain', ROOKERY_REGISTRY: makeRegistry(), CDKTF_OUTDIR: outdir });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(existsSync(join(outdir, 'stacks', 'azure', 'cdk.tf.json'))).toBe(true);
  });

  it('stops before synth with one line when the configuration is wrong', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'rookery-azure-main-'));
    const result = runApp({ ROOKERY_AZURE_PREFIX: 'Bad-Prefix', ROOKERY_REGISTRY: makeRegistry(), CDKTF_OUTDIR: outdir });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^azure: ROOKERY_AZURE_PREFIX="Bad-Prefix" is not a valid name prefix/)]);
    expect(existsSync(join(outdir, 'stacks', 'azure', 'cdk.tf.json'))).toBe(false);
  });
});
