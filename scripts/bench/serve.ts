// `npm run bench:serve`: the serving program under load, against a bare
// node:http server answering a fixed JSON body, measured in the same run.
//
// It builds the image bundle (scripts/build-image.ts) and runs it as the image
// does (`node <the Dockerfile ENTRYPOINT's options> rookery.mjs serve`, next to
// a node_modules holding only the runtime dependencies), trains a model into a
// temporary folder, and drives
//   (a) the bare server (scripts/bench/bare-server.ts, bundled, plain node),
//   (b) the real server with capture off,
//   (c) the real server with capture on (SQLite in a temporary folder),
//   (d) the same with durable capture (ROOKERY_CAPTURE_DURABLE=true: answers wait for their commit),
// with 1-row and 100-row requests over 16 keep-alive connections: saturating,
// from wrk (Debian's, written in C: `apt-get install wrk`), so the load
// generator is not the bottleneck (the bare server's figure shows it), and
// paced at a fixed request rate from a separate node process (this file, run
// with --load-generator: latency without self-inflicted queueing). Then the
// hostile scenarios (HOSTILE below) on a fresh server with capture on: clients
// that never read their answers (memory, /ping), and large bodies from several
// clients (/ping's latency).
// The servers run side by side and are measured in turns, several
// rounds, so a change in the machine's load hits them alike; the ratio to the
// bare server is taken within each round. Then process start → first 200 from
// /ping (median of several starts, from spawn) and each server's peak resident
// memory (VmHWM).
//
// Options: --duration S (3)  --warmup S (0.5)  --rounds N (3)  --connections N (16)
//          --rate R (1000: the paced run's requests/s; 0 skips it)  --starts N (11)
//          --bundle FILE (benchmark that bundle instead of building one)
//          --node-options="..." (run the server with these node options instead of
//          the ENTRYPOINT's; "" for none: to try other settings before changing the Dockerfile)
// Everything listens on 127.0.0.1 only; the load generator and the servers
// share the machine's cores, so figures are for this machine under its load.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { LocalRegistry } from '../../model/registry.ts';
import { DEFAULT_TRAIN_OPTIONS } from '../../model/train.ts';
import { buildImageBundle } from '../build-image.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../config.ts';
import { imageEntrypoint } from '../dockerfile.ts';
import { freePort } from '../free-port.ts';
import { cpuTicks, processCpuMs, processMemory, stolenShare } from './measure.ts';
import { fullBody, padTo, pingWhile, postHead, rawClient, rssMiB, splitBody, type Latencies } from './hostile.ts';
import { imageDependencies } from '../image-payload.ts';
import { trainAndRegister } from '../training.ts';
import { DEFAULT_ACCURACY_THRESHOLD, DEFAULT_ALIAS, DEFAULT_MODEL_NAME } from '../../model/defaults.ts';

// ---------------------------------------------------------------- load generator (child process)

interface LoadConfig {
  url: string;
  body: string;
  contentType: string;
  connections: number;
  warmupMs: number;
  durationMs: number;
  /** Requests per second over all connections; 0: as fast as answers come back (closed loop, saturating). */
  rate: number;
}

interface LoadResult {
  requests: number;
  errors: number;
  non200: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** The server's CPU time per request (all its threads), in µs: saturating runs only. */
  cpuUs?: number;
}

const MAX_SAMPLES = 2_000_000;

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const sleepUntil = (t: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, t - performance.now())));

async function loadGenerator(config: LoadConfig): Promise<LoadResult> {
  const url = new URL(config.url);
  const agent = new Agent({ keepAlive: true, maxSockets: config.connections, maxFreeSockets: config.connections });
  const body = Buffer.from(config.body);
  const headers = { 'Content-Type': config.contentType, 'Content-Length': String(body.length) };
  const samples = new Float64Array(MAX_SAMPLES);
  let n = 0;
  let requests = 0;
  let errors = 0;
  let non200 = 0;
  const start = performance.now();
  const measureFrom = start + config.warmupMs;
  const end = measureFrom + config.durationMs;
  const once = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          const t1 = performance.now();
          if (t0 >= measureFrom && t1 <= end) {
            requests++;
            if (res.statusCode !== 200) non200++;
            if (n < MAX_SAMPLES) samples[n++] = t1 - t0;
          }
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const loop = async (k: number) => {
    // Paced: connection k sends at start + (k + i * connections) / rate, or as soon as its previous answer is in.
    const interval = config.rate > 0 ? (1000 * config.connections) / config.rate : 0;
    let next = start + (config.rate > 0 ? (1000 * k) / config.rate : 0);
    while (performance.now() < end) {
      if (interval) {
        await sleepUntil(next);
        next += interval;
        if (next > end + interval) break;
      }
      await once();
    }
  };
  await Promise.all(Array.from({ length: config.connections }, (_, k) => loop(k)));
  agent.destroy();
  const sorted = samples.slice(0, n).sort();
  return { requests, errors, non200, rps: requests / (config.durationMs / 1000), p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), max: sorted[n - 1] ?? NaN };
}

// ---------------------------------------------------------------- the benchmark (parent process)

const SELF = fileURLToPath(import.meta.url);
const COLUMNS = ['island', 'culmen_length_mm', 'culmen_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex'];

function bodies(): { oneRow: string; hundredRows: string; values: unknown[][] } {
  const lines = readFileSync(DEFAULT_DATA_PATH, 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const rows = lines
    .slice(1)
    .map((l) => l.split(','))
    .filter((f) => f.every((v) => v !== '' && v !== 'NA'))
    .map((f) => Object.fromEntries(COLUMNS.map((c) => [c, ['island', 'sex'].includes(c) ? f[header.indexOf(c)] : Number(f[header.indexOf(c)])])));
  return {
    oneRow: JSON.stringify({ dataframe_split: { columns: COLUMNS, data: [COLUMNS.map((c) => rows[0][c])] } }),
    hundredRows: JSON.stringify({ dataframe_split: { columns: COLUMNS, data: rows.slice(0, 100).map((r) => COLUMNS.map((c) => r[c])) } }),
    values: rows.slice(0, 100).map((r) => COLUMNS.map((c) => r[c])),
  };
}

interface Started {
  child: ChildProcess;
  url: string;
  pid: number;
}

function startProcess(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, nodeOptions: string[] = []): Promise<Started> {
  const child = spawn(process.execPath, [...nodeOptions, file, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/[^\s]+:\d+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve({ child, url: m[1].replace('0.0.0.0', '127.0.0.1'), pid: child.pid! });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before listening:\n${out}`)));
  });
}

function get(url: string, agent?: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: agent ?? false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitForPing(url: string): Promise<void> {
  for (;;) {
    if ((await get(`${url}/ping`).catch(() => 0)) === 200) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function stop(p: Started): Promise<number | null> {
  const exited = new Promise<number | null>((r) => p.child.once('exit', (code) => r(code)));
  p.child.kill('SIGTERM');
  return exited;
}

function runLoad(config: LoadConfig): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(SELF, ['--load-generator'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited ${code}`)));
    child.send(config);
  });
}

const WRK = '/usr/bin/wrk';

/**
 * Saturating load from wrk: `connections` keep-alive connections on one
 * thread, each sending again as soon as its answer arrives; with the server's
 * CPU time per request over the measured run (wrk's requests include the few
 * still in flight at its end, so this is a slight underestimate, alike for every server).
 */
function runWrk(config: LoadConfig, work: string, pid: number): LoadResult {
  const script = join(work, 'wrk.lua');
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(config.body)}\nwrk.headers["Content-Type"] = "${config.contentType}"\n`);
  const run = (ms: number) =>
    execFileSync(WRK, ['-t1', `-c${config.connections}`, `-d${Math.max(1, Math.round(ms / 1000))}s`, '--latency', '-s', script, config.url], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (config.warmupMs > 0) run(config.warmupMs);
  const cpu0 = processCpuMs(pid);
  const out = run(config.durationMs);
  const cpuMs = processCpuMs(pid) - cpu0;
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  const ms = (q: string) => {
    const m = new RegExp(`^\\s+${q}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2] as 'us' | 'ms' | 's'] : NaN;
  };
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const requests = num(/(\d+) requests in/);
  return {
    requests,
    errors: errors ? errors.slice(1).reduce((t, n) => t + Number(n), 0) : 0,
    non200: num(/Non-2xx or 3xx responses: (\d+)/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: ms('50'),
    p90: ms('90'),
    p99: ms('99'),
    max: NaN,
    cpuUs: requests > 0 ? (1000 * cpuMs) / requests : NaN,
  };
}

function requireWrk(): void {
  if (!existsSync(WRK)) {
    console.error(`bench:serve: ${WRK} is missing; it is the load generator: apt-get install wrk`);
    process.exit(1);
  }
}

/** Spawn → the first 200 from /ping, and spawn → the socket accepting (the "listening" line), in ms. */
async function timeStart(bundle: string, modelDir: string, cwd: string, env: NodeJS.ProcessEnv, nodeOptions: string[]): Promise<{ ping: number; listening: number }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeOptions, bundle, 'serve', '--port', String(port), '--model', modelDir], { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let listening = NaN;
  child.stdout!.on('data', (d: Buffer) => {
    if (Number.isNaN(listening) && d.toString().includes('listening on')) listening = performance.now() - t0;
  });
  for (;;) {
    const status = await get(`${url}/ping`).catch(() => 0);
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 1));
  }
  const ping = performance.now() - t0;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return { ping, listening };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const MiB = 1024 * 1024;

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let t = '';
      res.setEncoding('utf8').on('data', (d: string) => (t += d));
      res.on('end', () => resolve(t));
    });
    req.on('error', reject);
    req.end();
  });
}

interface BenchOptions {
  durationMs: number;
  warmupMs: number;
  rounds: number;
  connections: number;
  rate: number;
  starts: number;
  bundle?: string;
  nodeOptions: string[];
  /** --node-options was given (not the Dockerfile ENTRYPOINT's). */
  ownNodeOptions: boolean;
  /** As given, for the header line. */
  warmup: string;
  duration: string;
}

function readOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '0.5' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '16' },
      rate: { type: 'string', default: '1000' },
      starts: { type: 'string', default: '11' },
      bundle: { type: 'string' },
      'node-options': { type: 'string' },
    },
  });
  const ownNodeOptions = values['node-options'] !== undefined;
  return {
    durationMs: Number(values.duration) * 1000,
    warmupMs: Number(values.warmup) * 1000,
    rounds: Number(values.rounds),
    connections: Number(values.connections),
    rate: Number(values.rate),
    starts: Number(values.starts),
    ...(values.bundle ? { bundle: values.bundle } : {}),
    nodeOptions: ownNodeOptions ? values['node-options']!.split(/\s+/).filter(Boolean) : imageEntrypoint().nodeOptions,
    ownNodeOptions,
    warmup: values.warmup,
    duration: values.duration,
  };
}

/** What the servers run on: the bundle in the image layout, the bare server, a trained model, the environment. */
interface Setup {
  bundle: string;
  bare: string;
  modelDir: string;
  env: NodeJS.ProcessEnv;
  dbPath: string;
  oneRow: string;
  hundredRows: string;
  /** Rows as value lists in COLUMNS' order, for the hostile scenarios' bodies. */
  values: unknown[][];
  work: string;
}

async function setUp(work: string, options: BenchOptions): Promise<Setup> {
  // The image layout: rookery.mjs with only its runtime dependencies beside it.
  const app = join(work, 'app');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  const bundle = join(app, 'rookery.mjs');
  copyFileSync(options.bundle ?? (await buildImageBundle()), bundle);
  for (const dep of imageDependencies().filter((d) => !d.installOnly)) symlinkSync(dep.dir, join(app, 'node_modules', dep.name), 'dir');
  const bare = join(work, 'bare-server.mjs');
  await build({ entryPoints: [fileURLToPath(new URL('./bare-server.ts', import.meta.url))], outfile: bare, bundle: true, platform: 'node', target: 'node20', format: 'esm', logLevel: 'warning' });
  const modelDir = join(work, 'model');
  const trained = await trainAndRegister(
    { dataPath: DEFAULT_DATA_PATH, schemaPath: DEFAULT_SCHEMA_PATH, options: DEFAULT_TRAIN_OPTIONS, accuracyThreshold: DEFAULT_ACCURACY_THRESHOLD, modelName: DEFAULT_MODEL_NAME, alias: DEFAULT_ALIAS, outDir: modelDir },
    new LocalRegistry(join(work, 'registry')),
    () => {},
  );
  if (trained.rejected) throw new Error(trained.rejected);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['MODEL_DIR', 'AZUREML_MODEL_DIR', 'SAGEMAKER_BIND_TO_PORT', 'DATA_CAPTURE', 'DATA_COLLECTION_URI', 'HOST', 'ROOKERY_IMAGE', 'NODE_OPTIONS']) delete env[k];
  return { bundle, bare, modelDir, env, dbPath: join(work, 'capture', 'bench.db'), work, ...bodies() };
}

/** Twice issue 14's 289k rows/s for 100-row requests with capture on. */
const TARGET_ROWS_PER_S = 578_000;

const BARE = 'bare node:http, fixed JSON';
const OFF = 'rookery serve, capture off';
const ON = 'rookery serve, capture on (SQLite)';
/** Capture on with ROOKERY_CAPTURE_DURABLE=true: each answer waits for its batch's commit (group commit). */
const DURABLE = 'rookery serve, durable capture';

type Case = { server: string; rows: number; paced: boolean };
const key = (c: Case) => `${c.server}|${c.rows}|${c.paced}`;

/** Every load run by case, the ratios to the bare server within each round by `server|rows`, and peak memory after the first 1-row load. */
interface Measured {
  runs: Map<string, LoadResult[]>;
  ratios: Map<string, number[]>;
  oneRowPeak: Map<string, number>;
}

const append = <V>(map: Map<string, V[]>, k: string, v: V) => map.set(k, [...(map.get(k) ?? []), v]);
const failed = (r: LoadResult) => (r.errors + r.non200 ? `  ${r.errors + r.non200} FAILED` : '');

/** The rounds: each server in turn with 1-row and 100-row saturating load, then (with a rate) paced 1-row load. */
async function measureLoad(servers: Map<string, Started>, setup: Setup, options: BenchOptions): Promise<Measured> {
  const m: Measured = { runs: new Map(), ratios: new Map(), oneRowPeak: new Map() };
  const { connections, warmupMs, durationMs, rate } = options;
  for (let round = 1; round <= options.rounds; round++) {
    for (const rows of [1, 100]) {
      const inRound = new Map<string, LoadResult>();
      for (const [name, p] of servers) {
        const r = runWrk({ url: `${p.url}/invocations`, body: rows === 1 ? setup.oneRow : setup.hundredRows, contentType: 'application/json', connections, warmupMs, durationMs, rate: 0 }, setup.work, p.pid);
        inRound.set(name, r);
        append(m.runs, key({ server: name, rows, paced: false }), r);
        console.log(`  round ${round}  ${name.padEnd(36)} ${String(rows).padStart(3)} row${rows > 1 ? 's' : ' '}  ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  CPU ${r.cpuUs!.toFixed(1)} µs/req${failed(r)}`);
      }
      for (const name of [OFF, ON, DURABLE]) append(m.ratios, `${name}|${rows}`, inRound.get(name)!.rps / inRound.get(BARE)!.rps);
      // Peak memory with 1-row requests only, before any 100-row load.
      if (round === 1 && rows === 1) for (const [name, p] of servers) m.oneRowPeak.set(name, processMemory(p.pid).hwm);
    }
    if (rate > 0) {
      for (const [name, p] of servers) {
        const r = await runLoad({ url: `${p.url}/invocations`, body: setup.oneRow, contentType: 'application/json', connections, warmupMs, durationMs, rate });
        append(m.runs, key({ server: name, rows: 1, paced: true }), r);
        console.log(`  round ${round}  ${name.padEnd(36)}   1 row   at ${rate} req/s: ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms${failed(r)}`);
      }
    }
  }
  return m;
}

// ---------------------------------------------------------------- hostile scenarios

/** What a hostile scenario showed: /ping's latency meanwhile and the server's peak resident memory. */
interface HostileFigures {
  ping: Latencies;
  peakMiB: number;
}

/** A hostile scenario: run against a fresh server with capture on (SQLite), the server's default limits. */
interface Hostile {
  name: string;
  /** Checked: /ping's p99 under this, and (when set) the peak resident memory under this. */
  pingP99Ms: number;
  peakMiB?: number;
  run(p: Started, setup: Setup): Promise<HostileFigures>;
}

/** Samples the process's resident memory every 25 ms while `work` runs; resolves with the peak. */
async function peakWhile(pid: number, work: Promise<unknown>): Promise<number> {
  let peak = rssMiB(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 25);
  await work.finally(() => clearInterval(sampler));
  return peak;
}

const SIX_MB = 6_000_000;
const LARGEST_ROWS = 10_000;

/** 50 clients send 6 MB bodies and never read (half as many rows as 6 MB holds, half the largest accepted request padded to 6 MB). */
async function nonReading(p: Started, setup: Setup): Promise<HostileFigures> {
  const port = Number(new URL(p.url).port);
  const bodies = [fullBody(COLUMNS, setup.values, SIX_MB), padTo(splitBody(COLUMNS, setup.values, LARGEST_ROWS), SIX_MB)];
  const clients = await Promise.all(Array.from({ length: 50 }, () => rawClient(port)));
  clients.forEach((c, i) => c.socket.write(Buffer.concat([Buffer.from(postHead(bodies[i % 2].length)), bodies[i % 2]])));
  const ping = pingWhile(p.url, new Promise((r) => setTimeout(r, 8_000)));
  const peakMiB = await peakWhile(p.pid, ping);
  for (const c of clients) c.socket.destroy();
  return { ping: await ping, peakMiB };
}

function post(url: string, body: Buffer, contentType: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${url}/invocations`, { method: 'POST', agent: false, headers: { 'Content-Type': contentType, 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** 4 clients send 6 MB bodies in a loop: a CSV of 1,000,000 empty rows (413 past the row limit) and the largest accepted request, padded to 6 MB. */
async function largeBodies(p: Started, setup: Setup): Promise<HostileFigures> {
  const csv = Buffer.from(`${COLUMNS.join(',')}\n${',,,,,\n'.repeat(1_000_000)}`);
  const largest = padTo(splitBody(COLUMNS, setup.values, LARGEST_ROWS), SIX_MB);
  const until = Date.now() + 8_000;
  const loop = async (body: Buffer, type: string) => {
    while (Date.now() < until) await post(p.url, body, type);
  };
  const load = Promise.all([loop(csv, 'text/csv'), loop(csv, 'text/csv'), loop(largest, 'application/json'), loop(largest, 'application/json')]);
  const ping = pingWhile(p.url, load);
  const peakMiB = await peakWhile(p.pid, ping);
  return { ping: await ping, peakMiB };
}

/** The hostile scenarios, each on a fresh server: add one here. */
const HOSTILE: Hostile[] = [
  { name: 'non-reading clients: 50 × 6 MB bodies, answers never read', pingP99Ms: 50, peakMiB: 350, run: nonReading },
  { name: 'large bodies: 4 clients, 6 MB CSV of 1,000,000 empty rows and 10,000 rows padded to 6 MB', pingP99Ms: 50, run: largeBodies },
];

async function measureHostile(setup: Setup, work: string, options: BenchOptions): Promise<Map<Hostile, HostileFigures>> {
  const figures = new Map<Hostile, HostileFigures>();
  for (const [i, scenario] of HOSTILE.entries()) {
    const env = { ...setup.env, DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `sqlite:///${join(work, 'capture', `hostile-${i}.db`)}` };
    const p = await startProcess(setup.bundle, ['serve', '--port', '0', '--model', setup.modelDir], env, work, options.nodeOptions);
    try {
      await waitForPing(p.url);
      const f = await scenario.run(p, setup);
      figures.set(scenario, f);
      console.log(`  hostile  ${scenario.name}: /ping p50 ${quantile(f.ping, 0.5).toFixed(1)} ms, p99 ${f.ping.p99().toFixed(1)} ms, max ${f.ping.max().toFixed(0)} ms (${f.ping.samples.length} pings); peak resident ${f.peakMiB.toFixed(0)} MiB`);
    } finally {
      await stop(p);
    }
  }
  return figures;
}

const quantile = (l: Latencies, q: number) => [...l.samples].sort((a, b) => a - b)[Math.min(l.samples.length - 1, Math.ceil(q * l.samples.length) - 1)];

/** Start-up: spawn → first 200 from /ping, for the real server and the bare one. */
async function measureStarts(setup: Setup, work: string, options: BenchOptions): Promise<{ ping: number[]; listening: number[]; barePing: number[] }> {
  const times: { ping: number; listening: number }[] = [];
  for (let i = 0; i < options.starts; i++) times.push(await timeStart(setup.bundle, setup.modelDir, work, setup.env, options.nodeOptions));
  const barePing: number[] = [];
  for (let i = 0; i < options.starts; i++) {
    const t0 = performance.now();
    const p = await startProcess(setup.bare, ['--port', '0'], setup.env, work);
    await waitForPing(p.url);
    barePing.push(performance.now() - t0);
    await stop(p);
  }
  return { ping: times.map((t) => t.ping), listening: times.map((t) => t.listening), barePing };
}

interface Results extends Measured {
  names: string[];
  idle: Map<string, number>;
  peak: Map<string, number>;
  capture: { accepted: number; written: number; failures: number; dropped: number };
  stored: number;
  starts: { ping: number[]; listening: number[]; barePing: number[] };
  hostile: Map<Hostile, HostileFigures>;
  load: number[][];
  /** Share of the machine's CPU time the hypervisor took during the run (stolenShare). */
  stolen: number;
}

function aggregate(m: Measured, c: Case) {
  const rs = m.runs.get(key(c)) ?? [];
  return {
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    cpuUs: median(rs.map((r) => r.cpuUs ?? NaN)),
    failed: rs.reduce((t, r) => t + r.errors + r.non200, 0),
  };
}

function printTables(r: Results, options: BenchOptions): void {
  const row = (name: string, rows: number, a: ReturnType<typeof aggregate>) =>
    `${name.padEnd(36)} ${String(rows).padStart(4)} ${a.rps.toFixed(0).padStart(8)} ${(a.rps * rows).toFixed(0).padStart(9)} ${a.p50.toFixed(2).padStart(8)} ${a.p99.toFixed(2).padStart(8)}`;
  console.log('');
  console.log(`saturating load from wrk (${options.connections} connections, each sending its next request when the answer arrives):`);
  // CPU µs/req: the server's CPU time (all threads) per request, median over rounds; it holds better than req/s when the machine's speed drifts.
  console.log(`${'server'.padEnd(36)} ${'rows'.padStart(4)} ${'req/s'.padStart(8)} ${'rows/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'vs bare'.padStart(8)} ${'CPU µs/req'.padStart(11)}`);
  for (const rows of [1, 100]) {
    for (const name of r.names) {
      const ratio = name === BARE ? 1 : median(r.ratios.get(`${name}|${rows}`)!);
      const a = aggregate(r, { server: name, rows, paced: false });
      console.log(`${row(name, rows, a)} ${`${(100 * ratio).toFixed(0)}%`.padStart(8)} ${a.cpuUs.toFixed(1).padStart(11)}`);
    }
  }
  if (options.rate > 0) {
    console.log('');
    console.log(`paced load, 1 row, ${options.rate} req/s spread over the ${options.connections} connections (above MLflow's best 820 req/s):`);
    for (const name of r.names) console.log(row(name, 1, aggregate(r, { server: name, rows: 1, paced: true })));
  }
  console.log('');
  const { ping, listening, barePing } = r.starts;
  console.log(`start, spawn → first 200 from /ping: median ${median(ping).toFixed(0)} ms (min ${Math.min(...ping).toFixed(0)}, max ${Math.max(...ping).toFixed(0)}, ${options.starts} starts); spawn → "listening" printed: median ${median(listening).toFixed(0)} ms; bare node:http spawn → first 200: median ${median(barePing).toFixed(0)} ms`);
  for (const [name, hwm] of r.peak) {
    console.log(`memory, ${name}: resident after start ${(r.idle.get(name)! / MiB).toFixed(1)} MiB, peak (VmHWM) after 1-row load ${(r.oneRowPeak.get(name)! / MiB).toFixed(1)} MiB, after all ${(hwm / MiB).toFixed(1)} MiB`);
  }
  const { capture } = r;
  console.log(`capture: ${capture.accepted.toLocaleString('en')} requests accepted, ${capture.written.toLocaleString('en')} written at /health time, ${capture.failures} failed writes, ${capture.dropped} dropped; ${r.stored.toLocaleString('en')} rows in SQLite after SIGTERM`);
  console.log(`load average at start ${r.load[0].map((l) => l.toFixed(2)).join(' ')}, at end ${r.load[1].map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min; ${cpus().length} cores)`);
  // On a virtual machine whose host is busy, everything here is slower, the floor too; the ratios hold better than the absolute figures.
  console.log(`CPU time stolen by the hypervisor during the run: ${(100 * r.stolen).toFixed(1)}%`);
  console.log('');
}

/** The targets, PASS or FAIL each; sets the exit code when one fails. */
function printChecks(r: Results, options: BenchOptions): void {
  const on1 = aggregate(r, { server: ON, rows: 1, paced: false });
  const off1 = aggregate(r, { server: OFF, rows: 1, paced: false });
  const ratioOn = median(r.ratios.get(`${ON}|1`)!);
  const pingMedian = median(r.starts.ping);
  const oneRowPeak = Math.max(r.oneRowPeak.get(ON)!, r.oneRowPeak.get(OFF)!);
  const maxPeak = Math.max(r.peak.get(ON)!, r.peak.get(OFF)!);
  const all = [...r.runs.values()].flat();
  const checks: [string, boolean, string][] = [
    ['1-row throughput, capture on, ≥ 60% of bare', ratioOn >= 0.6, `${(100 * ratioOn).toFixed(0)}% (${on1.rps.toFixed(0)} req/s)`],
    ['p99 < 5 ms, 16 connections saturating, 1 row, capture on', on1.p99 < 5, `${on1.p99.toFixed(2)} ms`],
    ['p99 < 5 ms, 16 connections saturating, 1 row, capture off', off1.p99 < 5, `${off1.p99.toFixed(2)} ms`],
  ];
  if (options.rate > 0) {
    const paced = aggregate(r, { server: ON, rows: 1, paced: true });
    checks.push([`p99 < 5 ms, 16 connections at ${options.rate} req/s, 1 row, capture on`, paced.p99 < 5, `${paced.p99.toFixed(2)} ms`]);
  }
  const on100 = aggregate(r, { server: ON, rows: 100, paced: false });
  checks.push([`100 rows, capture on, ≥ ${TARGET_ROWS_PER_S.toLocaleString('en')} rows/s (twice issue 14's)`, on100.rps * 100 >= TARGET_ROWS_PER_S, `${(on100.rps * 100).toFixed(0)} rows/s, p99 ${on100.p99.toFixed(2)} ms`]);
  for (const [h, f] of r.hostile) {
    checks.push([`${h.name.split(':')[0]}: /ping p99 < ${h.pingP99Ms} ms`, f.ping.p99() < h.pingP99Ms, `${f.ping.p99().toFixed(1)} ms`]);
    if (h.peakMiB) checks.push([`${h.name.split(':')[0]}: peak resident memory < ${h.peakMiB} MiB`, f.peakMiB < h.peakMiB, `${f.peakMiB.toFixed(0)} MiB`]);
  }
  checks.push(
    ['start → first 200 from /ping < 250 ms (median)', pingMedian < 250, `${pingMedian.toFixed(0)} ms`],
    ['peak resident memory < 100 MiB, 1-row load', oneRowPeak < 100 * MiB, `${(oneRowPeak / MiB).toFixed(1)} MiB`],
    ['peak resident memory < 100 MiB, after 100-row load too', maxPeak < 100 * MiB, `${(maxPeak / MiB).toFixed(1)} MiB`],
    ['no failed requests', all.every((x) => x.errors + x.non200 === 0), `${all.reduce((t, x) => t + x.errors + x.non200, 0)} failed`],
    ['every captured request written, none dropped', r.capture.dropped === 0 && r.stored > 0, `${r.capture.dropped} dropped`],
  );
  for (const [name, ok, figure] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name.padEnd(60)} ${figure}`);
  for (const rows of [1, 100]) {
    const durable = aggregate(r, { server: DURABLE, rows, paced: false });
    const on = rows === 1 ? on1 : on100;
    console.log(`info  ${`durable capture, ${rows} row${rows > 1 ? 's' : ''}: cost (no target)`.padEnd(60)} ${durable.rps.toFixed(0)} req/s, ${((100 * durable.rps) / on.rps).toFixed(0)}% of capture on; p50 ${durable.p50.toFixed(2)} vs ${on.p50.toFixed(2)} ms`);
  }
  console.log('');
  console.log(
    "Issue 14's figures on a quiet machine (old load generator replaced by wrk): floor 40,156 req/s; capture off 25,551 (0.64×), on 19,737 (0.49×); 100 rows, capture on 2,888 req/s (289k rows/s); 50 non-reading clients 962 MiB and /ping over 10 s; two clients sending 1,000,000 empty CSV rows put /ping at p50 6.9 s.",
  );
  console.log("For scale: MLflow's Python scoring server on this kind of machine gave 450-820 requests/s, p50 16-36 ms, 1.7-2.1 s to start and about 313 MiB.");
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
}

function printHeader(setup: Setup, options: BenchOptions, load0: number[]): void {
  console.log(`bench:serve: ${cpus().length} cores (${cpus()[0]?.model.trim()}), node ${process.version}, bundle ${(statSync(setup.bundle).size / 1024).toFixed(0)} KiB${options.bundle ? ` (${options.bundle})` : ''}`);
  console.log(`server command: node ${[...options.nodeOptions, 'rookery.mjs', 'serve'].join(' ')}${options.ownNodeOptions ? ' (--node-options, not the Dockerfile ENTRYPOINT)' : ' (the Dockerfile ENTRYPOINT)'}`);
  console.log(`${options.connections} keep-alive connections from wrk (one thread; paced runs from a node process); ${options.rounds} rounds of ${options.warmup} s warm-up + ${options.duration} s per case, servers interleaved; figures are medians over rounds`);
  console.log(`bodies: 1 row ${setup.oneRow.length} B, 100 rows ${setup.hundredRows.length} B (dataframe_split); load average at start ${load0.map((l) => l.toFixed(2)).join(' ')}`);
  console.log('');
}

/** Starts the servers side by side and waits for each to answer /ping; returns them with their idle resident memory. */
async function startServers(setup: Setup, work: string, options: BenchOptions, processes: Started[]): Promise<{ servers: Map<string, Started>; idle: Map<string, number> }> {
  const servers = new Map<string, Started>();
  const serveArgs = ['serve', '--port', '0', '--model', setup.modelDir];
  servers.set(BARE, await startProcess(setup.bare, ['--port', '0'], setup.env, work));
  servers.set(OFF, await startProcess(setup.bundle, serveArgs, setup.env, work, options.nodeOptions));
  servers.set(ON, await startProcess(setup.bundle, serveArgs, { ...setup.env, DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `sqlite:///${setup.dbPath}` }, work, options.nodeOptions));
  const durableDb = `sqlite:///${setup.dbPath.replace(/\.db$/, '-durable.db')}`;
  servers.set(DURABLE, await startProcess(setup.bundle, serveArgs, { ...setup.env, DATA_CAPTURE: 'true', DATA_COLLECTION_URI: durableDb, ROOKERY_CAPTURE_DURABLE: 'true' }, work, options.nodeOptions));
  processes.push(...servers.values());
  const idle = new Map<string, number>();
  for (const [name, p] of servers) {
    await waitForPing(p.url);
    idle.set(name, processMemory(p.pid).rss);
  }
  return { servers, idle };
}

async function main(): Promise<void> {
  const options = readOptions();
  requireWrk();
  const work = mkdtempSync(join(tmpdir(), 'rookery-bench-serve-'));
  const processes: Started[] = [];
  try {
    const setup = await setUp(work, options);
    const load0 = loadavg();
    const ticks0 = cpuTicks();
    printHeader(setup, options, load0);
    const { servers, idle } = await startServers(setup, work, options, processes);
    const measured = await measureLoad(servers, setup, options);
    const peak = new Map<string, number>();
    for (const [name, p] of servers) peak.set(name, processMemory(p.pid).hwm);
    const capture = JSON.parse(await getText(`${servers.get(ON)!.url}/health`)).capture;
    for (const p of [...servers.values()]) {
      await stop(p);
      processes.splice(processes.indexOf(p), 1);
    }
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(setup.dbPath, { readonly: true });
    const stored = (db.prepare('SELECT COUNT(*) AS n FROM data').get() as { n: number }).n;
    db.close();
    const starts = await measureStarts(setup, work, options);
    const hostile = await measureHostile(setup, work, options);
    const results: Results = { ...measured, names: [...servers.keys()], idle, peak, capture, stored, starts, hostile, load: [load0, loadavg()], stolen: stolenShare(ticks0, cpuTicks()) };
    printTables(results, options);
    printChecks(results, options);
  } finally {
    for (const p of processes) p.child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv.includes('--load-generator')) {
  process.once('message', async (config) => {
    const result = await loadGenerator(config as LoadConfig);
    process.send!(result, () => process.exit(0));
  });
} else {
  await main();
}
