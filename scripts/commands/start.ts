import { mkdirSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { loadArtifact, type LoadedArtifact } from '../../model/artifact.ts';
import { parseModelRef } from '../../model/reference.ts';
import { LocalRegistry } from '../../model/registry.ts';
import { DEFAULT_TRAIN_OPTIONS } from '../../model/train.ts';
import { openCaptureSink } from '../../container/capture/open.ts';
import { ROUTES } from '../../container/contract.ts';
import { startServer, type RunningServer } from '../../container/server.ts';
import { UserError } from '../../model/user-error.ts';
import { defineCommand, numberFlag } from '../command.ts';
import { commandRegistry, readConfig, type RookeryConfig } from '../config.ts';
import { DEFAULT_ACCURACY_THRESHOLD, DEFAULT_ALIAS, DEFAULT_MODEL_NAME, DEFAULT_MODEL_REF } from '../../model/defaults.ts';
import { LABEL_DEFAULTS, runLabel } from '../label/run.ts';
import { monitoredModel } from '../monitor/model.ts';
import { formatOutcome, runMonitor, type MonitorOutcome } from '../monitor/run.ts';
import { localTarget } from '../targets/local.ts';
import { INTERRUPTED_EXIT, interruptSignal } from '../traffic/interrupt.ts';
import { resolveDriftColumn, runTraffic, TRAFFIC_DEFAULTS, type TrafficRequest } from '../traffic/run.ts';
import type { TrafficSummary } from '../traffic/send.ts';
import { score } from '../format.ts';
import { REPORT_FILE } from '../train-report/render.ts';
import { trainAndRegister } from '../training.ts';
import { DEFAULT_REPORT_DIR } from './monitor.ts';

export const DEFAULT_START_DIR = '.rookery/start';

/**
 * Drifted rows match no dataset row, so their labels are simulated: kept equal
 * to the prediction 80% of the time (the course's default ground-truth
 * quality). Far enough below the 0.9 accuracy check that the demonstration
 * fails it on every run rather than on a coin flip.
 */
const LABEL_ACCURACY = 0.8;

/** Waits until the server has written every request it accepted for capture (its /health reports the sink's counters). */
async function captureFlushed(server: RunningServer, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${server.port}${ROUTES.health}`);
    const health = (await res.json()) as { capture?: { accepted?: number; written?: number; dropped?: number; pending?: number; lastError?: string } };
    const c = health.capture ?? {};
    if ((c.pending ?? 0) === 0 && (c.written ?? 0) + (c.dropped ?? 0) >= (c.accepted ?? 0)) return;
    if (Date.now() > deadline) throw new UserError(`the server still had ${c.pending} captures to write after ${timeoutMs / 1000} s${c.lastError ? ` (${c.lastError})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A word as a POSIX shell reads it back unchanged: bare when it is safe, else single-quoted. */
const shellWord = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`);

/** A path as the commands print it: relative to the working directory when inside it, else absolute. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** The commands that run each step again on what this run made, copyable as printed (from the same working directory). */
export function rerunCommands(made: { dbPath: string; outDir: string; version: string | number; drift: boolean; samples: number; seed: number }): string {
  const datastore = `sqlite:///${shownPath(made.dbPath)}`;
  const cmd = (...words: string[]) => `  ${words.map(shellWord).join(' ')}`;
  return [
    'Each step again, on what this run made (serve in the background, stopped by the last line):',
    cmd(`DATA_COLLECTION_URI=${datastore}`, 'npx', 'rookery', 'serve', '--model', `models:/${DEFAULT_MODEL_NAME}/${made.version}`, '--port', '8080') + ' &',
    '  until curl -sf http://127.0.0.1:8080/ping >/dev/null; do sleep 0.2; done',
    cmd('npx', 'rookery', 'traffic', '--endpoint', 'http://127.0.0.1:8080/invocations', ...(made.samples !== TRAFFIC_DEFAULTS.samples ? ['--samples', String(made.samples)] : []), ...(made.drift ? ['--drift'] : []), ...(made.seed !== TRAFFIC_DEFAULTS.seed ? ['--seed', String(made.seed)] : [])),
    cmd('npx', 'rookery', 'label', '--datastore', datastore, '--accuracy', String(LABEL_ACCURACY), ...(made.seed !== LABEL_DEFAULTS.seed ? ['--seed', String(made.seed)] : [])),
    cmd('npx', 'rookery', 'monitor', '--datastore', datastore, '--model', `models:/${DEFAULT_MODEL_NAME}/${made.version}`, '--out', shownPath(made.outDir)),
    '  kill %1',
  ].join('\n');
}

/** Step 1: the local registry's champion, trained and registered first when a fresh checkout has none. */
async function championModel(config: RookeryConfig, out: (line: string) => void): Promise<{ model: LoadedArtifact; version: string | number }> {
  const registry = commandRegistry(config);
  const ref = parseModelRef(DEFAULT_MODEL_REF);
  let resolved;
  try {
    resolved = await registry.resolve(ref);
    out(`using ${DEFAULT_MODEL_NAME} version ${resolved.info.version} (alias ${DEFAULT_ALIAS}) from ${registry.location}`);
  } catch (err) {
    // Only a local registry without the champion is a fresh start; MLflow's errors (unreachable, unauthorized) stand.
    if (!(err instanceof UserError && registry instanceof LocalRegistry)) throw err;
    out(`no ${DEFAULT_MODEL_NAME}@${DEFAULT_ALIAS} in ${registry.location} yet: training one`);
    const outcome = await trainAndRegister(
      { dataPath: config.dataPath, schemaPath: config.schemaPath, options: DEFAULT_TRAIN_OPTIONS, accuracyThreshold: DEFAULT_ACCURACY_THRESHOLD, modelName: DEFAULT_MODEL_NAME, alias: DEFAULT_ALIAS },
      registry,
      () => {},
    );
    if (outcome.rejected) throw new UserError(outcome.rejected);
    out(`trained (cross-validated accuracy ${score(outcome.result.evaluation.accuracyMean)}) and registered version ${outcome.registered!.version}`);
    resolved = await registry.resolve(ref);
    out(`training report: ${join(resolved.dir, REPORT_FILE)}`);
  }
  return { model: loadArtifact(resolved.dir), version: resolved.info.version };
}

/** Step 2: the server in this process on a free loopback port, capturing to a fresh database; its log is kept for a failure message. */
async function startCaptureServer(model: LoadedArtifact, dbPath: string) {
  mkdirSync(dirname(dbPath), { recursive: true });
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${dbPath}${suffix}`, { force: true });
  const datastore = `sqlite:///${dbPath}`;
  const log: string[] = [];
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    loadModel: async () => model,
    openCapture: (m) => openCaptureSink(datastore, m.params.schema, { log: (line) => log.push(line) }),
    captureByDefault: false,
    log: (line) => log.push(line),
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop(5_000);
  };
  return { server, log, stop };
}

/** Step 3: the traffic, without a progress line (start prints its own steps); Ctrl-C ends it early. */
async function sendTraffic(endpoint: string, request: Omit<TrafficRequest, 'batch' | 'concurrency' | 'signal'>, out: (line: string) => void): Promise<TrafficSummary> {
  const target = localTarget({ endpoint, maxSockets: TRAFFIC_DEFAULTS.concurrency });
  const interrupt = interruptSignal();
  try {
    return await runTraffic(target, { ...request, batch: TRAFFIC_DEFAULTS.batch, concurrency: TRAFFIC_DEFAULTS.concurrency, signal: interrupt.signal }, out, { write: () => true, isTTY: false });
  } finally {
    interrupt.dispose();
    await target.close();
  }
}

/** The closing lines: what ran, where the report is, and what the checks' outcome means for this traffic. */
function summaryLines(o: { monitored: MonitorOutcome; rowsSent: number; version: string | number; drift: boolean; driftColumn: string; elapsed: string }): string[] {
  const s = o.monitored.summary;
  const driftCheck = s.checks.find((c) => c.id === 'drifted-columns');
  const verdict = o.drift
    ? s.status === 'fail'
      ? `${s.counts.failed} of ${s.counts.checks} checks failed (${s.checks.filter((c) => c.status === 'fail').map((c) => c.name).join(', ')}). That is expected: the traffic was drifted on purpose (${o.driftColumn}) and its labels simulated at ${LABEL_ACCURACY * 100}% agreement, to show what the monitor catches. Exit status 0.`
      : `no check failed although the traffic was drifted (${driftCheck?.value}); open the report to see why.`
    : s.status === 'fail'
      ? `${s.counts.failed} checks failed on undrifted traffic; open the report to see which.`
      : 'all checks passed on undrifted traffic.';
  return [
    '',
    `done in ${o.elapsed}: ${o.rowsSent} rows of ${o.drift ? 'drifted ' : ''}traffic served by ${DEFAULT_MODEL_NAME} version ${o.version}, captured, labeled and monitored; server stopped.`,
    `report: ${o.monitored.htmlPath}`,
    verdict,
    '',
  ];
}

export const startCommand = defineCommand({
  name: 'start',
  summary: 'The whole local loop: train if needed, serve with capture, drifted traffic, label, monitor, report',
  about: `
What 'npm start' runs, with no cloud account and nothing else running:
  1. train and register penguins@champion in the local registry, unless it exists
  2. start the server in this process on a free loopback port, capturing to a fresh
     SQLite database (<dir>/penguins.db, recreated on every run)
  3. send traffic with drift (body_mass_g shifted, as in the course)
  4. label the captured rows (simulated labels agree with the prediction 80% of the time)
  5. run the monitor and write report.html and summary.json into --out
  6. stop the server and print a summary with the report's path

The drift checks are expected to fail: the traffic is drifted on purpose to show what
the monitor finds. 'start' still exits 0; it exits non-zero only if a step could not run.`,
  options: {
    samples: { type: 'string', value: 'N', description: 'rows of traffic', default: TRAFFIC_DEFAULTS.samples },
    out: { type: 'string', value: 'DIR', description: 'report folder', default: DEFAULT_REPORT_DIR },
    dir: { type: 'string', value: 'DIR', description: 'working folder for the capture database', default: DEFAULT_START_DIR },
    'no-drift': { type: 'boolean', description: 'send undrifted traffic (the checks should then pass)' },
    seed: { type: 'string', value: 'N', description: 'seed for traffic and labels', default: TRAFFIC_DEFAULTS.seed },
  },
  async run({ values, out }) {
    // From process start, so the figure includes loading the CLI, as a user waits for it.
    const elapsed = () => `${process.uptime().toFixed(1)} s`;
    const step = (n: number, text: string) => out(`\n[${n}/5] ${text}`);
    const config = readConfig();
    const samples = numberFlag('samples', values.samples, TRAFFIC_DEFAULTS.samples, { integer: true, min: 1 });
    const seed = numberFlag('seed', values.seed, TRAFFIC_DEFAULTS.seed, { integer: true, min: 0 });
    const drift = !values['no-drift'];
    const outDir = resolve(values.out ?? DEFAULT_REPORT_DIR);
    const dbPath = join(resolve(values.dir ?? DEFAULT_START_DIR), 'penguins.db');
    const datastore = `sqlite:///${dbPath}`;
    const shownDb = relative(process.cwd(), dbPath) || dbPath;

    step(1, 'model');
    const { model, version } = await championModel(config, out);
    const schema = model.params.schema;
    const driftColumn = resolveDriftColumn(schema);

    step(2, 'serve');
    const { server, log: serverLog, stop } = await startCaptureServer(model, dbPath);
    try {
      await server.ready;
      const endpoint = `http://127.0.0.1:${server.port}${ROUTES.invocations}`;
      out(`serving on ${endpoint}, capturing to ${shownDb}`);

      step(3, `traffic${drift ? ' with drift' : ''}`);
      const traffic = await sendTraffic(endpoint, { dataPath: config.dataPath, schemaPath: config.schemaPath, schema, driftColumn, samples, drift, seed }, out);
      if (traffic.interrupted) {
        await stop();
        console.error(`rookery start: interrupted (Ctrl-C) after ${traffic.rows.sent} of ${traffic.interrupted.rowsTotal} rows; server stopped, captures so far in ${shownDb}`);
        return INTERRUPTED_EXIT;
      }
      if (traffic.requests.failed) throw new UserError(`${traffic.requests.failed} traffic requests failed (${traffic.errors[0]?.message}); server log:\n${serverLog.join('\n')}`);
      await captureFlushed(server);

      step(4, 'label');
      await runLabel({ datastore, dataPath: config.dataPath, schemaPath: config.schemaPath, schema, accuracy: LABEL_ACCURACY, seed }, out);

      step(5, 'monitor');
      const served = monitoredModel({ dir: model.dir, name: DEFAULT_MODEL_NAME, version: Number(version), origin: `${DEFAULT_MODEL_NAME}@${DEFAULT_ALIAS} (version ${version})` });
      const monitored = await runMonitor({ datastore, referencePath: config.dataPath, schemaPath: config.schemaPath, schema, outDir, model: served });
      out(formatOutcome(monitored));
      await stop();

      for (const line of summaryLines({ monitored, rowsSent: traffic.rows.sent, version, drift, driftColumn, elapsed: elapsed() })) out(line);
      out(rerunCommands({ dbPath, outDir, version, drift, samples, seed }));
      return 0;
    } finally {
      await stop();
    }
  },
});
