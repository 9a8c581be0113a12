// Starts the real serving program the way the image does: `node <ENTRYPOINT options> rookery.mjs serve`
// on the esbuild bundle of scripts/image.ts, from a folder laid out like the
// image's /app (the bundle, and a node_modules holding only the runtime
// dependencies of container/image-package.json), so a test also fails if the
// bundle needs anything the image does not ship.
//
// The bundle is built and one model trained once per vitest run, into the
// folder test/global-setup.ts provides; the first test file to ask does the
// work under a lock and the others wait for it.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inject } from 'vitest';
import { BLOB_CHUNK } from '../../container/capture/blob-loader.ts';
import { LocalRegistry } from '../../model/registry.ts';
import { DEFAULT_TRAIN_OPTIONS } from '../../model/train.ts';
import { buildImageBundle } from '../../scripts/build-image.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../../scripts/config.ts';
import { imageEntrypoint } from '../../scripts/dockerfile.ts';
import { imageDependencies } from '../../scripts/image-payload.ts';
import { trainAndRegister } from '../../scripts/training.ts';

export interface Fixture {
  /** The image-like folder: rookery.mjs and node_modules. */
  appDir: string;
  bundle: string;
  /** A trained artifact (MLflow model layout). */
  modelDir: string;
  /** A folder registry holding the same model as penguins version 1, alias champion. */
  registryDir: string;
}

/** Environment variables the server reads: removed from the inherited environment so only a test's own settings apply. */
export const SERVE_ENV = [
  'MODEL_DIR',
  'AZUREML_MODEL_DIR',
  'SAGEMAKER_BIND_TO_PORT',
  // Batch Transform mode (container/batch-settings.ts BATCH_ENV): a test sets its own.
  'SAGEMAKER_BATCH',
  'SAGEMAKER_MAX_PAYLOAD_IN_MB',
  'SAGEMAKER_MAX_CONCURRENT_TRANSFORMS',
  'SAGEMAKER_BATCH_STRATEGY',
  'DATA_CAPTURE',
  'DATA_COLLECTION_URI',
  'ROOKERY_REGISTRY',
  'ROOKERY_CACHE',
  'ROOKERY_IMAGE',
  'HOST',
  'MLFLOW_TRACKING_URI',
  'ROOKERY_CAPTURE_ON_FAULT',
  'ROOKERY_CAPTURE_DURABLE',
  'ROOKERY_CAPTURE_MAX_WAIT_MS',
  'ROOKERY_CAPTURE_QUEUE_BYTES',
  'ROOKERY_CAPTURE_FLUSH_MS',
  // How a blob capture sink signs in (container/blob-client.ts): a test sets its own.
  'AZURE_STORAGE_KEY',
  'AZURE_CLIENT_ID',
  'IDENTITY_ENDPOINT',
  'IDENTITY_HEADER',
] as const;

function runDir(): string {
  let dir: string | undefined;
  try {
    dir = inject('rookeryRunDir');
  } catch {
    dir = undefined;
  }
  // Without test/global-setup.ts (a file run on its own with another config): a folder for this process.
  if (!dir) dir = process.env.ROOKERY_TEST_RUN_DIR ??= mkdtempSync(join(tmpdir(), 'rookery-run-'));
  return dir;
}

async function prepare(root: string): Promise<Fixture> {
  const fixture: Fixture = {
    appDir: join(root, 'app'),
    bundle: join(root, 'app', 'rookery.mjs'),
    modelDir: join(root, 'model'),
    registryDir: join(root, 'registry'),
  };
  // The shared dist/image/rookery.mjs may be rebuilt by others at any time: work from a copy.
  // ROOKERY_TEST_BUNDLE runs the tests on another bundle instead (e.g. /app/rookery.mjs copied out of a built image).
  const built = process.env.ROOKERY_TEST_BUNDLE || (await buildImageBundle());
  mkdirSync(join(fixture.appDir, 'node_modules'), { recursive: true });
  copyFileSync(built, fixture.bundle);
  // The blob capture writer's bundle, which the image keeps next to the entry (loaded only for a blob DATA_COLLECTION_URI).
  const blobChunk = join(dirname(built), BLOB_CHUNK);
  if (existsSync(blobChunk)) copyFileSync(blobChunk, join(fixture.appDir, BLOB_CHUNK));
  for (const dep of imageDependencies().filter((p) => !p.installOnly)) {
    const link = join(fixture.appDir, 'node_modules', dep.name);
    if (!existsSync(link)) symlinkSync(dep.dir, link, 'dir');
  }
  const outcome = await trainAndRegister(
    {
      dataPath: DEFAULT_DATA_PATH,
      schemaPath: DEFAULT_SCHEMA_PATH,
      options: DEFAULT_TRAIN_OPTIONS,
      accuracyThreshold: 0.7,
      modelName: 'penguins',
      alias: 'champion',
      outDir: fixture.modelDir,
    },
    new LocalRegistry(fixture.registryDir),
    () => {},
  );
  if (outcome.rejected) throw new Error(outcome.rejected);
  return fixture;
}

let cached: Promise<Fixture> | undefined;

/** The bundle and a trained model, made once per run. */
export function fixture(): Promise<Fixture> {
  cached ??= (async () => {
    const root = runDir();
    const done = join(root, 'fixture.json');
    const failed = join(root, 'fixture.error');
    const lock = join(root, 'fixture.lock');
    let mine = false;
    try {
      mkdirSync(lock);
      mine = true;
    } catch {
      // Another test file is preparing it.
    }
    if (mine) {
      try {
        const f = await prepare(root);
        writeFileSync(done, JSON.stringify(f));
        return f;
      } catch (err) {
        writeFileSync(failed, (err as Error).stack ?? String(err));
        throw err;
      }
    }
    const until = Date.now() + 120_000;
    while (Date.now() < until) {
      if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as Fixture;
      if (existsSync(failed)) throw new Error(`preparing the serving fixture failed in another test file:\n${readFileSync(failed, 'utf8')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for the serving fixture in ${root}`);
  })();
  return cached;
}

/** A scratch folder, removed at the end of the run. */
export function scratchDir(prefix = 'scratch'): string {
  const base = join(runDir(), 'scratch');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${prefix}-`));
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From the stop signal (or the start, for runToExit) to the exit. */
  ms: number;
}

export interface Served {
  url: string;
  port: number;
  host: string;
  child: ChildProcess;
  cwd: string;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exits, whatever ended it. */
  readonly exited: Promise<Exit>;
  /** Sends the signal (SIGTERM by default) and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

export interface ServeOptions {
  /** `--model` value; null: no --model flag (the environment decides). Default: the fixture's model. */
  model?: string | null;
  /** `--port` value; null: no --port flag. Default "0" (a free port). */
  port?: string | null;
  args?: string[];
  /** Added to the cleaned environment (see SERVE_ENV); undefined values are left out. */
  env?: Record<string, string | undefined>;
  /** Working directory; default a fresh scratch folder (where sqlite:///penguins.db lands). */
  cwd?: string;
  /** Wait for GET /ping to answer 200 (default true). */
  waitForPing?: boolean;
}

const running = new Set<ChildProcess>();

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of SERVE_ENV) delete env[key];
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** The Dockerfile ENTRYPOINT's node options, read once. */
const NODE_OPTIONS = imageEntrypoint().nodeOptions;

function spawnImage(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string }, f: Fixture) {
  const started = Date.now();
  // The image's command: node with the Dockerfile ENTRYPOINT's options, on the bundle.
  const child = spawn(process.execPath, [...NODE_OPTIONS, f.bundle, ...args], {
    cwd: options.cwd ?? scratchDir('cwd'),
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let signalledAt = started;
  const exited = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - signalledAt });
    });
  });
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    signal(sig: NodeJS.Signals) {
      signalledAt = Date.now();
      child.kill(sig);
    },
  };
}

/** Runs `node rookery.mjs <args>` to completion (for start-up failures). */
export async function runToExit(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<Exit> {
  const f = await fixture();
  const p = spawnImage(args, options, f);
  const timer = setTimeout(() => p.signal('SIGKILL'), options.timeoutMs ?? 30_000);
  const exit = await p.exited;
  clearTimeout(timer);
  return exit;
}

const LISTENING = /listening on http:\/\/([^\s:]+):(\d+)/;

/** Starts `node rookery.mjs serve --port 0 --model <fixture model>` and waits until /ping answers 200. */
export async function serve(options: ServeOptions = {}): Promise<Served> {
  const f = await fixture();
  const model = options.model === undefined ? f.modelDir : options.model;
  const port = options.port === undefined ? '0' : options.port;
  const args = ['serve', ...(port === null ? [] : ['--port', port]), ...(model === null ? [] : ['--model', model]), ...(options.args ?? [])];
  const cwd = options.cwd ?? scratchDir('cwd');
  const p = spawnImage(args, { env: options.env, cwd }, f);
  const listening = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      p.signal('SIGKILL');
      reject(new Error(`the server did not print "listening on" within 15 s:\n${p.stdout()}${p.stderr()}`));
    }, 15_000);
    const check = () => {
      const m = LISTENING.exec(p.stdout());
      if (m) {
        clearTimeout(timer);
        p.child.stdout!.off('data', check);
        resolve(m);
      }
    };
    p.child.stdout!.on('data', check);
    void p.exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (code ${e.code}, signal ${e.signal}) before listening:\n${e.stdout}${e.stderr}`));
    });
  });
  const host = listening[1];
  const served: Served = {
    url: `http://127.0.0.1:${listening[2]}`,
    port: Number(listening[2]),
    host,
    child: p.child,
    cwd,
    stdout: p.stdout,
    stderr: p.stderr,
    exited: p.exited,
    stop(signal = 'SIGTERM') {
      if (p.child.exitCode === null && p.child.signalCode === null) p.signal(signal);
      return p.exited;
    },
  };
  if (options.waitForPing ?? true) {
    const until = Date.now() + 15_000;
    for (;;) {
      const r = await request(served, { path: '/ping', method: 'GET' }).catch(() => undefined);
      if (r?.status === 200) break;
      if (Date.now() > until || p.child.exitCode !== null) {
        await served.stop('SIGKILL');
        throw new Error(`/ping did not answer 200 within 15 s (last: ${r?.status}):\n${p.stdout()}${p.stderr()}`);
      }
      await new Promise((r2) => setTimeout(r2, 20));
    }
  }
  return served;
}

/** Kills any server a test left running (call from afterAll). */
export async function stopAll(): Promise<void> {
  const left = [...running];
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(left.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('close', r)))));
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (throws if it is not). */
  json(): any;
}

export interface RequestOptions {
  method?: string;
  path?: string;
  /** Sent as is; a string is UTF-8. Objects are JSON-encoded. */
  body?: string | Buffer | object;
  /** Content-Type; default application/json when there is a body; null sends none. */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** Send without Content-Length (Transfer-Encoding: chunked), in 64 KiB writes. */
  chunked?: boolean;
  agent?: Agent | false;
  timeoutMs?: number;
}

/** One HTTP request with node:http (full control of headers, framing and connection reuse). */
export function request(target: { url: string } | string, options: RequestOptions = {}): Promise<Reply> {
  const base = typeof target === 'string' ? target : target.url;
  const url = new URL(options.path ?? '/invocations', base);
  const body =
    options.body === undefined ? undefined : typeof options.body === 'string' || Buffer.isBuffer(options.body) ? Buffer.from(options.body) : Buffer.from(JSON.stringify(options.body));
  const headers: Record<string, string> = { ...options.headers };
  const contentType = options.contentType === undefined ? (body ? 'application/json' : null) : options.contentType;
  if (contentType !== null) headers['Content-Type'] = contentType;
  if (body && !options.chunked) headers['Content-Length'] = String(body.length);
  return new Promise<Reply>((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: options.method ?? (body ? 'POST' : 'GET'), headers, agent: options.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 30_000} ms`)));
    // After an early answer (413) the server closes; a write still in progress then fails, which is not the test's concern.
    req.on('error', (err) => reject(err));
    if (body && options.chunked) {
      for (let i = 0; i < body.length; i += 65_536) req.write(body.subarray(i, i + 65_536));
      req.end();
    } else req.end(body);
  });
}

/** The penguins schema's feature columns, in order. */
export const COLUMNS = ['island', 'culmen_length_mm', 'culmen_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex'] as const;

export type Row = Record<(typeof COLUMNS)[number], string | number | null>;

/** Rows from the training data (one per species), with the species the model gives them. */
export const ROWS: { row: Row; species: string }[] = [
  { row: { island: 'Torgersen', culmen_length_mm: 39.1, culmen_depth_mm: 18.7, flipper_length_mm: 181, body_mass_g: 3750, sex: 'MALE' }, species: 'Adelie' },
  { row: { island: 'Dream', culmen_length_mm: 46.5, culmen_depth_mm: 17.9, flipper_length_mm: 192, body_mass_g: 3500, sex: 'FEMALE' }, species: 'Chinstrap' },
  { row: { island: 'Biscoe', culmen_length_mm: 46.1, culmen_depth_mm: 13.2, flipper_length_mm: 211, body_mass_g: 4500, sex: 'FEMALE' }, species: 'Gentoo' },
];

export const ROW = ROWS[0].row;

/** Rows whose predictions differ in a known pattern, to check order: species cycles Adelie, Chinstrap, Gentoo. */
export function cyclingRows(n: number): { rows: Row[]; species: string[] } {
  const picked = Array.from({ length: n }, (_, i) => ROWS[i % ROWS.length]);
  return { rows: picked.map((p) => ({ ...p.row })), species: picked.map((p) => p.species) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value other than undefined, or throws after `timeoutMs`. */
export async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Removes a folder made by a test (best effort). */
export function remove(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
