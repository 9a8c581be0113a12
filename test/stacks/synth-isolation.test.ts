// `cdk synth` with `-c model=DIR` makes no network request and writes nothing outside `cdk.out`:
// stacks/app.ts in a child process, MLflow configured but pointed at a local listener that counts
// connections, the registry read-only, and every file of the test's folder listed before and after.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveArtifact } from '../../model/artifact.ts';
import { modelContentHash, modelFiles, MODEL_HASH_TAG } from '../../model/content-hash.ts';
import { loadDataset } from '../../model/dataset.ts';
import { LocalRegistry } from '../../model/registry.ts';
import { loadSchema } from '../../model/schema.ts';
import { DEFAULT_TRAIN_OPTIONS, trainWithCrossValidation } from '../../model/train.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../../scripts/config.ts';
import { runCdkApp } from '../helpers/cdk-app.ts';
import { useTempDirs } from '../helpers/temp.ts';

const tempDir = useTempDirs('rookery-synth-isolation-');

/** Every file and folder under `root` (except `skip`) with its size and modification time. */
function listing(root: string, skip: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (path === skip) continue;
      const stat = statSync(path);
      out.set(relative(root, path), `${stat.isDirectory() ? 'dir' : stat.size} ${stat.mtimeMs}`);
      if (stat.isDirectory()) walk(path);
    }
  };
  walk(root);
  return out;
}

/** A TCP listener that counts and drops every connection: MLflow as far as the app can tell. */
async function countingListener(): Promise<{ server: Server; uri: string; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { server, uri: `http://127.0.0.1:${address.port}`, connections: () => count };
}

let root: string;
let registry: string;
let modelDir: string;

beforeAll(async () => {
  root = tempDir();
  registry = join(root, 'registry');
  const data = loadDataset(DEFAULT_DATA_PATH, loadSchema(DEFAULT_SCHEMA_PATH));
  const result = trainWithCrossValidation(data, { ...DEFAULT_TRAIN_OPTIONS, folds: 2 });
  saveArtifact(join(root, 'artifact'), result.params, { evaluation: result.evaluation, options: result.options, rows: data.size }, { example: data });
  await new LocalRegistry(registry).register('penguins', join(root, 'artifact'), { alias: 'champion' });
  modelDir = join(registry, 'penguins', 'versions', '1');
}, 120_000);

afterAll(() => {
  // So the temporary folders can be removed.
  execFileSync('chmod', ['-R', 'u+w', root]);
});

describe('cdk synth -c model=DIR', () => {
  it('makes no network request and writes nothing outside cdk.out', async () => {
    const cwd = join(root, 'cwd');
    mkdirSync(cwd);
    const outdir = join(root, 'cdk.out');
    // Root ignores the mode bits; the listing below catches a write either way.
    execFileSync('chmod', ['-R', 'a-w', registry]);
    const before = listing(root, outdir);
    const mlflow = await countingListener();
    try {
      const run = await runCdkApp({ context: { model: modelDir }, outdir, registry, cwd, env: { MLFLOW_TRACKING_URI: mlflow.uri, ROOKERY_CACHE: join(root, 'cache') } });
      expect(run.code, run.stderr).toBe(0);
      expect(mlflow.connections()).toBe(0);
    } finally {
      await new Promise((resolve) => mlflow.server.close(resolve));
    }
    expect(listing(root, outdir)).toEqual(before);
    expect(readdirSync(cwd)).toEqual([]);

    const template = JSON.parse(readFileSync(join(outdir, 'EndpointStack.template.json'), 'utf8'));
    const models = Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::SageMaker::Model') as any[];
    expect(models).toHaveLength(1);
    const tag = models[0].Properties.Tags.find((t: any) => t.Key === MODEL_HASH_TAG);
    expect(tag.Value).toBe(modelContentHash(modelFiles(modelDir)));
  }, 180_000);
});
