// "Bring your own dataset" as the README gives it: its commands, run as child
// processes in a temporary folder (own registry, capture database and reports)
// on the second dataset (data/cars.csv), must train, serve, send drifted
// traffic, label and monitor it without a penguin word anywhere.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSchema } from '../../model/schema.ts';
import { freePort } from '../../scripts/free-port.ts';
import type { MonitorSummary } from '../../scripts/monitor/summary.ts';
import { resolveDriftColumn } from '../../scripts/traffic/run.ts';
import { readCaptureTable } from '../helpers/capture-table.ts';
import { ROOKERY_ENTRY, runCli, type CliResult } from '../helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const PENGUIN_WORDS = /species|island|penguin|body_mass/i;
const schema = loadSchema(join(ROOT, 'data', 'cars.schema.json'));

const dir = mkdtempSync(join(tmpdir(), 'rookery-byo-'));
const ENV = { ROOKERY_REGISTRY: join(dir, 'registry'), ROOKERY_CACHE: join(dir, 'cache') };
let server: ChildProcess | undefined;
afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The README section's commands, one per line: `npx rookery …`, with any VAR=value prefixes. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Bring your own dataset\n');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const blocks = [...section.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => b.split('\n')).filter((l) => l.trim());
}

/** `A=1 B=2 npx rookery cmd --x y` -> env and args (the README's commands have no quoting). */
function parse(line: string, port: number): { env: Record<string, string>; args: string[] } {
  const words = line.replaceAll('8081', String(port)).trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0])) {
    const [name, ...value] = words.shift()!.split('=');
    env[name] = value.join('=');
  }
  expect(words.slice(0, 2)).toEqual(['npx', 'rookery']);
  return { env, args: words.slice(2) };
}

/** Starts `rookery serve` in the background and resolves once it says the model is loaded. */
function startServer(args: string[], env: Record<string, string>): Promise<{ lines: string[] }> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, ROOKERY_ENTRY, ...args], {
    cwd: dir,
    env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1', ROOKERY_DATA: '', ROOKERY_SCHEMA: '', MLFLOW_TRACKING_URI: '', ...ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server = child;
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not load the model in 20 s:\n${lines.join('\n')}`)), 20_000);
    const onData = (chunk: string) => {
      lines.push(...chunk.split('\n').filter(Boolean));
      if (lines.some((l) => l.startsWith('model loaded'))) {
        clearTimeout(timer);
        resolve({ lines });
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code}:\n${lines.join('\n')}`));
    });
  });
}

/** Waits until the server has written every capture it accepted (its /health counters). */
async function capturesWritten(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { capture?: { accepted?: number; written?: number; pending?: number } };
    const c = health.capture ?? {};
    if ((c.accepted ?? 0) > 0 && (c.pending ?? 0) === 0 && (c.written ?? 0) >= (c.accepted ?? 0)) return;
    if (Date.now() > deadline) throw new Error(`captures not written: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> => runCli(args, { ...ENV, ...env }, { cwd: dir, timeoutMs: 60_000 });

describe('Bring your own dataset (README walk on data/cars.csv)', () => {
  it('trains, serves, sends drifted traffic, labels and monitors the cars with their own columns and classes', async () => {
    // The README's paths are relative to a checkout: give the temp folder the two files it names.
    mkdirSync(join(dir, 'data'));
    for (const f of ['cars.csv', 'cars.schema.json']) copyFileSync(join(ROOT, 'data', f), join(dir, 'data', f));
    const port = await freePort();
    const commands = readmeCommands().map((l) => parse(l, port));
    expect(commands.map((c) => c.args[0])).toEqual(['train', 'serve', 'traffic', 'label', 'monitor']);
    const [train, serve, traffic, label, monitor] = commands;
    expect(traffic.args).toEqual(expect.arrayContaining(['--drift', '--drift-column']));
    const outputs: string[] = [];

    const trained = await cli(train.args, train.env);
    outputs.push(trained.stdout, trained.stderr);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/registered cars version 1 .* moved alias champion to it/);

    const served = await startServer(serve.args, serve.env);

    const sent = await cli(traffic.args, traffic.env);
    outputs.push(sent.stdout);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/horsepower drifted by U\(1, 3 × [\d.]+ hp\)/);
    expect(sent.stdout).toMatch(/failed: 0 requests/);
    expect(sent.stdout).toMatch(/predictions per class: .*(USA|Europe|Japan) \d+/);
    await capturesWritten(port);

    const labeled = await cli(label.args, label.env);
    outputs.push(labeled.stdout, labeled.stderr);
    expect(labeled.code, labeled.stderr).toBe(0);
    expect(labeled.stdout).toMatch(/labeled 200 rows in .*cars\.db: \d+ with the true origin of a matching dataset row/);
    const rows = readCaptureTable(join(dir, 'cars.db'));
    expect(rows).toHaveLength(200);
    expect(Object.keys(rows[0])).toEqual([...schema.features.map((f) => f.name), 'prediction', 'confidence', 'date', 'uuid', 'origin', 'label_source']);
    expect(rows.every((r) => schema.target.classes.includes(r.origin as string))).toBe(true);
    // Each row says where its label came from, as many from the dataset as `label` said.
    const matched = Number(/: (\d+) with the true origin/.exec(labeled.stdout)![1]);
    expect(rows.filter((r) => r.label_source === 'dataset')).toHaveLength(matched);
    expect(rows.filter((r) => r.label_source === 'simulated')).toHaveLength(200 - matched);

    const monitored = await cli(monitor.args, monitor.env);
    outputs.push(monitored.stdout, monitored.stderr);
    // The drift was put there on purpose: the monitor finds it and exits 1.
    expect(monitored.stderr).toBe('');
    expect(monitored.code).toBe(1);
    expect(monitored.stdout).toMatch(/FAIL\s+Drifted columns\s+1 of 7 \(horsepower\)/);

    const out = monitor.args[monitor.args.indexOf('--out') + 1];
    const summaryText = readFileSync(join(dir, out, 'summary.json'), 'utf8');
    const html = readFileSync(join(dir, out, 'report.html'), 'utf8');
    const summary = JSON.parse(summaryText) as MonitorSummary;
    expect(summary.target).toEqual({ name: 'origin', classes: ['USA', 'Europe', 'Japan'] });
    expect(summary.features.map((f) => f.name)).toEqual(schema.features.map((f) => f.name));
    expect(summary.features.find((f) => f.name === 'cylinders')!.kind).toBe('categorical');
    expect(summary.current).toMatchObject({ rows: 200, labeledRows: 200 });
    expect(summary.analysis.drift.columns.filter((d) => d.drifted).map((d) => d.column)).toEqual(['horsepower']);
    for (const word of ['origin', 'horsepower', 'weight_lbs', 'cylinders', 'USA', 'Europe', 'Japan']) expect(html).toContain(word);
    expect(html).toContain("reference's origin shares");
    expect(summaryText).not.toMatch(PENGUIN_WORDS);
    expect(html).not.toMatch(PENGUIN_WORDS);
    expect(outputs.join('\n')).not.toMatch(PENGUIN_WORDS);

    server!.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => server!.once('exit', r));
    expect(code).toBe(0);
    expect(served.lines.join('\n')).not.toMatch(PENGUIN_WORDS);
  }, 120_000);

  it('--drift-column must name a numeric feature of the model\'s schema: one line, exit 2', async () => {
    // Without the flag: the schema's last numeric feature, which keeps the penguins' body_mass_g.
    expect(resolveDriftColumn(schema)).toBe('weight_lbs');
    expect(resolveDriftColumn(loadSchema(join(ROOT, 'data', 'penguins.schema.json')))).toBe('body_mass_g');
    const base = ['traffic', '--endpoint', 'http://127.0.0.1:9/invocations', '--schema', join(ROOT, 'data', 'cars.schema.json'), '--data', join(ROOT, 'data', 'cars.csv'), '--drift'];
    const categorical = await cli([...base, '--drift-column', 'cylinders']);
    expect(categorical.code).toBe(2);
    expect(categorical.stderr.trim().split('\n')).toEqual([
      'rookery: --drift-column cylinders: a categorical feature cannot be shifted; pass one of: miles_per_gallon, displacement_cu_in, horsepower, acceleration_s, model_year, weight_lbs',
    ]);
    const unknown = await cli([...base, '--drift-column', 'body_mass_g']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('--drift-column body_mass_g: not a feature of the cars schema');
    const withoutDrift = await cli(base.filter((a) => a !== '--drift').concat('--drift-column', 'horsepower'));
    expect(withoutDrift.code).toBe(2);
    expect(withoutDrift.stderr.trim()).toBe('rookery: --drift-column names the column --drift shifts: add --drift');
    const both = await cli([...base, '--model', 'models:/cars@champion']);
    expect(both.code).toBe(2);
    expect(both.stderr.trim()).toBe('rookery: pass --model or --schema, not both: the model already ships its schema');
  });
});
