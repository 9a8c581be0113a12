/**
 * The command `rookery score --target azure` gives its Azure ML job, run the
 * way the job runs it: in a shell, with Azure ML's ${{inputs.*}} and
 * ${{outputs.*}} replaced by the mounted paths, on the image's bundle
 * (scripts/build-image.ts) in place of /app/rookery.mjs.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildImageBundle } from '../../scripts/build-image.ts';
import type { AmlConnection } from '../../scripts/azure/connection.ts';
import { imageEntrypoint } from '../../scripts/dockerfile.ts';
import { scoreJobBody } from '../../scripts/score/azure-job.ts';
import { PENGUINS_CSV, registryWithChampion } from '../helpers/penguins.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE } from './arm-double.ts';

const tempDir = useTempDirs('rookery-score-image-');
let bundle: string;
let work: string;

beforeAll(async () => {
  bundle = await buildImageBundle();
  work = tempDir();
}, 180_000);

function sh(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { cwd: work, env: { PATH: process.env.PATH, HOME: work }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("the Azure ML job's command", () => {
  it('scores the mounted input with the mounted model into the mounted output folder', async () => {
    const registry = await registryWithChampion(work);
    const mounts = { rows: join(work, 'mnt', 'rows', 'in.csv'), model: join(registry, 'penguins', 'versions', '1'), scores: join(work, 'mnt', 'scores') };
    mkdirSync(join(work, 'mnt', 'rows'), { recursive: true });
    mkdirSync(mounts.scores, { recursive: true });
    copyFileSync(PENGUINS_CSV, mounts.rows);
    const conn = { ref: { subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, workspace: WORKSPACE } } as AmlConnection;
    const body = scoreJobBody({
      conn,
      name: 'rookery-score-test',
      compute: 'rookery-cpu',
      environmentVersion: '1',
      model: { name: 'penguins', version: '1' },
      input: 'https://rkteststorage.blob.core.windows.net/rookery-batch/in/day.csv',
      output: 'https://rkteststorage.blob.core.windows.net/rookery-batch/scores/day.csv',
      format: 'csv',
      maxRejects: 1000,
    });
    const { script } = imageEntrypoint();
    const command = (body.properties as { command: string }).command
      .replace(script, bundle)
      .replace('${{inputs.rows}}', mounts.rows)
      .replace('${{inputs.model}}', mounts.model)
      .replace('${{outputs.scores}}', mounts.scores);
    expect(command).not.toContain('${{');
    const run = await sh(command);
    expect(run.code, run.stderr).toBe(0);
    const written = readdirSync(mounts.scores).sort();
    // The rejects file, beside the output, exists only when a row was rejected.
    expect(written.filter((f) => f !== 'day.rejects.jsonl')).toEqual(['day.csv']);
    const [header, ...rows] = readFileSync(join(mounts.scores, 'day.csv'), 'utf8').trim().split('\n');
    expect(header.split(',').slice(-2)).toEqual(['prediction', 'confidence']);
    const rejected = written.includes('day.rejects.jsonl') ? readFileSync(join(mounts.scores, 'day.rejects.jsonl'), 'utf8').split('\n').filter(Boolean).length : 0;
    expect(rows.length + rejected).toBe(readFileSync(PENGUINS_CSV, 'utf8').trim().split('\n').length - 1);
    expect(rows.length).toBeGreaterThan(300);
  }, 180_000);
});
