/**
 * The pipeline's job commands run the way AWS Batch runs them: the image's
 * entry (`node rookery.mjs <command>`, the esbuild bundle of scripts/image.ts)
 * as a child process, with the image's ROOKERY_DATA / ROOKERY_SCHEMA and the
 * same flags the job definitions pass, against moto_server's S3 for s3://
 * URIs (the s3:// tests skip when moto is missing).
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImageBundle, JOBS_BUNDLE } from '../../scripts/build-image.ts';
import { imageEntrypoint } from '../../scripts/dockerfile.ts';
import { s3Client } from '../../scripts/aws/clients.ts';
import { MOTO_INSTALL, useMoto } from '../helpers/moto.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
let bundle: string;
const moto = useMoto();
let s3: S3Client;
let work: string;

beforeAll(async () => {
  bundle = await buildImageBundle();
  work = mkdtempSync(join(tmpdir(), 'rookery-image-jobs-'));
  if (!moto.available) return;
  s3 = s3Client();
  for (const Bucket of ['rookery-runs', 'empty']) await s3.send(new CreateBucketCommand({ Bucket }));
}, 120_000);
afterAll(() => s3?.destroy());

async function object(bucket: string, key: string): Promise<string> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return got.Body!.transformToString('utf8');
}

async function keys(bucket: string, prefix: string): Promise<string[]> {
  return ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The image's environment (Dockerfile ENV), nothing from this machine's AWS or MLflow settings. */
function imageEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: work,
    NODE_ENV: 'production',
    ROOKERY_IMAGE: '1',
    ROOKERY_DATA: join(ROOT, 'data', 'penguins.csv'),
    ROOKERY_SCHEMA: join(ROOT, 'data', 'penguins.schema.json'),
    // The image runs Node 24; on the Node 20 these tests may run on, the AWS SDK warns that its 2027 releases need 22.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

const NODE_OPTIONS = imageEntrypoint().nodeOptions;

function image(args: string[], env: NodeJS.ProcessEnv = imageEnv(), entry = bundle): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...NODE_OPTIONS, entry, ...args], { cwd: work, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) ?? 1 : 0, stdout, stderr });
    });
  });
}

describe('the image’s entry', () => {
  if (!moto.available) it.skip(`the s3:// tests: ${MOTO_INSTALL}`, () => {});
  it('carries the commands the pipeline’s jobs run', async () => {
    const help = await image(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'train', 'models register']) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('trains as the training job does: --no-register writes the result and the artifact and exits 0', async () => {
    const dir = join(work, 'local');
    const run = await image(['train', '--no-register', '--name', 'penguins', '--accuracy-threshold', '0.9', '--registry', join(dir, 'registry'), '--out', join(dir, 'model'), '--result', join(dir, 'training.json')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/training on 344 rows of .*penguins\.csv/);
    expect(run.stdout).toMatch(/not registered \(--no-register\): cross-validated accuracy 0\.9\d+ meets the threshold 0\.9/);
    const result = JSON.parse(readFileSync(join(dir, 'training.json'), 'utf8'));
    expect(result).toMatchObject({ name: 'penguins', threshold: 0.9, passed: true, registered: false, version: null, runId: null, artifact: join(dir, 'model'), report: join(dir, 'model', 'report.html'), rows: 344, folds: 5, seed: 42 });
    expect(result.accuracy).toBeGreaterThan(0.9);
    expect(result.accuracyStd).toBeGreaterThanOrEqual(0);
    expect(readdirSync(join(dir, 'model')).sort()).toEqual(['MLmodel', 'input_example.json', 'metrics.json', 'model.json', 'report.html', 'serving_input_example.json']);
    // Nothing was registered.
    expect(() => readdirSync(join(dir, 'registry'))).toThrow();
  });

  it('still writes the result when the accuracy is below the threshold and the command fails', async () => {
    const dir = join(work, 'below');
    const run = await image(['train', '--registry', join(dir, 'registry'), '--accuracy-threshold', '0.999', '--result', join(dir, 'training.json')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rookery: cross-validated accuracy 0\.9\d+ is below the threshold 0\.999: the model was not registered/);
    expect(JSON.parse(readFileSync(join(dir, 'training.json'), 'utf8'))).toMatchObject({ passed: false, registered: false, threshold: 0.999, artifact: null });
  });

  it.skipIf(!moto.available)('trains and registers through S3 as the training and registration jobs do, and the registration names the version to deploy', async () => {
    const run = `s3://rookery-runs/runs/exec-1`;
    const env = imageEnv(moto.server.env());
    const trained = await image(['train', '--no-register', '--name', 'penguins', '--accuracy-threshold', '0.7', '--out', `${run}/model`, '--result', `${run}/training.json`], env);
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    expect(trained.stdout).toContain(`uploaded the model artifact (6 files) to ${run}/model`);
    const training = JSON.parse(await object('rookery-runs', 'runs/exec-1/training.json'));
    expect(training).toMatchObject({ passed: true, artifact: `${run}/model`, report: `${run}/model/report.html`, threshold: 0.7 });
    expect(trained.stdout).toContain(`training report: ${run}/model/report.html`);
    expect(await keys('rookery-runs', 'runs/exec-1/model/')).toEqual(
      ['MLmodel', 'input_example.json', 'metrics.json', 'model.json', 'report.html', 'serving_input_example.json'].map((f) => `runs/exec-1/model/${f}`),
    );

    const registry = join(work, 's3-registry');
    const registered = await image(['models', 'register', '--from', `${run}/training.json`, '--name', 'penguins', '--alias', 'champion', '--registry', registry, '--result', `${run}/registration.json`], env);
    expect(registered.stderr).toBe('');
    expect(registered.code).toBe(0);
    expect(registered.stdout).toContain(`downloaded the model artifact (6 files) from ${run}/model`);
    expect(registered.stdout).toMatch(/registered penguins version 1 in .* and moved alias champion to it/);
    const registration = JSON.parse(await object('rookery-runs', 'runs/exec-1/registration.json'));
    expect(registration).toMatchObject({ name: 'penguins', version: 1, alias: 'champion', runId: null, accuracy: training.accuracy, from: `${run}/training.json` });
    expect(JSON.parse(readFileSync(join(registry, 'penguins', 'aliases.json'), 'utf8'))).toEqual({ champion: 1 });
    const version = JSON.parse(readFileSync(join(registry, 'penguins', 'versions', '1', 'version.json'), 'utf8'));
    expect(version.metrics).toEqual({ accuracy_mean: training.accuracy, accuracy_std: training.accuracyStd });
  });

  it.skipIf(!moto.available)('refuses to register a result that did not pass, and says what is missing when S3 has no result', async () => {
    const env = imageEnv(moto.server.env());
    await s3.send(new PutObjectCommand({ Bucket: 'rookery-runs', Key: 'runs/exec-2/training.json', Body: JSON.stringify({ name: 'penguins', accuracy: 0.5, accuracyStd: 0, threshold: 0.9, passed: false, runId: null, artifact: 's3://rookery-runs/runs/exec-2/model' }) }));
    const refused = await image(['models', 'register', '--from', 's3://rookery-runs/runs/exec-2/training.json', '--registry', join(work, 'r2')], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('rookery: s3://rookery-runs/runs/exec-2/training.json: cross-validated accuracy 0.5000 is below its threshold 0.9; refusing to register it\n');
    const missing = await image(['models', 'register', '--from', 's3://rookery-runs/runs/none/training.json', '--registry', join(work, 'r2')], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^rookery: cannot read s3:\/\/rookery-runs\/runs\/none\/training.json: NoSuchKey: The specified key does not exist. \(HTTP 404\)\n$/);
  });

  it('fails clearly without credentials', async () => {
    // No request is made: the SDK finds no credentials first.
    const noCredentials = await image(['train', '--no-register', '--result', 's3://rookery-runs/x.json'], imageEnv({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }));
    expect(noCredentials.code).toBe(1);
    expect(noCredentials.stderr).toMatch(/no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \(in AWS Batch the job role provides them\)/);
  });
});

describe('the image’s job bundle', () => {
  it('an entry without it says so instead of failing obscurely', async () => {
    const alone = mkdtempSync(join(tmpdir(), 'rookery-entry-alone-'));
    copyFileSync(bundle, join(alone, 'rookery.mjs'));
    const run = await image(['pipeline', 'monitor', '--endpoint', 'rookery-penguins', '--datastore', 's3://data/capture'], imageEnv(), join(alone, 'rookery.mjs'));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/this image does not carry 'pipeline monitor': it needs rookery-jobs\.mjs/);
  });

  it.skipIf(!moto.available)('runs deploy sagemaker and pipeline monitor when rookery-jobs.mjs sits next to the entry', async () => {
    // Both bundles as scripts/build-image.ts builds them, in a folder laid out like /app.
    const app = mkdtempSync(join(tmpdir(), 'rookery-app-'));
    copyFileSync(bundle, join(app, 'rookery.mjs'));
    copyFileSync(JOBS_BUNDLE, join(app, 'rookery-jobs.mjs'));
    const entry = join(app, 'rookery.mjs');
    const deployHelp = await image(['deploy', 'sagemaker', '--help'], imageEnv(), entry);
    expect(deployHelp.code).toBe(0);
    expect(deployHelp.stdout).toMatch(/^Usage: rookery deploy sagemaker/);
    const env = imageEnv(moto.server.env());
    const nothing = await image(['pipeline', 'monitor', '--endpoint', 'rookery-penguins', '--datastore', 's3://empty/capture'], env, entry);
    expect(nothing.stderr).toBe('');
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toContain('no captured data under s3://empty/capture yet: nothing to monitor, no metrics published');
  });
});
