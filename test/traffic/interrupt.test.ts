// Ctrl-C during `rookery traffic` and `npm start`: "interrupted after N of M rows", the partial summary,
// the progress line closed, the server `start` started stopped, exit 130.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOKERY_ENTRY } from '../helpers/cli.ts';
import { useTempDirs } from '../helpers/temp.ts';

const scratch = useTempDirs('rookery-interrupt-');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function start(args: string[], cwd: string): { child: ChildProcess; out: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const env: NodeJS.ProcessEnv = { ...process.env, ROOKERY_REGISTRY: join(cwd, 'registry'), ROOKERY_CACHE: join(cwd, 'cache'), NO_COLOR: '1' };
  for (const name of ['MLFLOW_TRACKING_URI', 'ROOKERY_DATA', 'ROOKERY_SCHEMA', 'NODE_OPTIONS', 'DATA_CAPTURE', 'DATA_COLLECTION_URI']) delete env[name];
  const child = spawn(process.execPath, ['--import', TSX, ROOKERY_ENTRY, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out.stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out.stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve(code))));
  return { child, out, exited };
}

const until = async (test: () => boolean, ms = 30_000) => {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

let server: Server | undefined;
afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

describe('Ctrl-C', () => {
  it('rookery traffic: stops, prints what was sent so far and exits 130', async () => {
    let answered = 0;
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c)).on('end', () => {
        const rows = (JSON.parse(body) as { dataframe_records: unknown[] }).dataframe_records;
        // Slow: 200 ms per request, so the run is still going when the signal comes.
        setTimeout(() => {
          answered++;
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ predictions: rows.map(() => ({ prediction: 'Adelie' })) }));
        }, 200);
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const run = start(['traffic', '--endpoint', `http://127.0.0.1:${port}/invocations`, '--samples', '200', '--batch', '10', '--concurrency', '1'], scratch());
    await until(() => answered >= 3);
    run.child.kill('SIGINT');
    const code = await run.exited;
    expect(code).toBe(130);
    const sent = Number(/interrupted after (\d+) of 200 rows/.exec(run.out.stdout)?.[1]);
    expect(sent).toBeGreaterThanOrEqual(30);
    expect(sent).toBeLessThan(200);
    expect(run.out.stdout).toContain(`sent ${sent} rows in `);
    expect(run.out.stdout).toContain(`predictions per class: Adelie ${sent}`);
    expect(run.out.stdout).toMatch(/latency per request: p50 \d+\.\d ms/);
    const stderr = run.out.stderr.trimEnd().split('\n');
    expect(stderr.at(-1)).toBe(`rookery traffic: interrupted (Ctrl-C) after ${sent} of 200 rows`);
    expect(run.out.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('npm start: stops sending, stops its server (port free, captures closed), exits 130', async () => {
    const cwd = scratch();
    const run = start(['start', '--samples', '400000'], cwd);
    await until(() => /\[3\/5\] traffic/.test(run.out.stdout));
    const port = Number(/serving on http:\/\/127\.0\.0\.1:(\d+)\//.exec(run.out.stdout)?.[1]);
    await new Promise((r) => setTimeout(r, 500));
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    const sent = Number(/interrupted after (\d+) of 400000 rows/.exec(run.out.stdout)?.[1]);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(400000);
    expect(run.out.stdout).toContain(`sent ${sent} rows in `);
    expect(run.out.stderr.trimEnd()).toBe(`rookery start: interrupted (Ctrl-C) after ${sent} of 400000 rows; server stopped, captures so far in ${join('.rookery', 'start', 'penguins.db')}`);
    await expect(fetch(`http://127.0.0.1:${port}/ping`)).rejects.toThrow();
    // The capture writer closed the database, which removes the write-ahead log.
    expect(existsSync(join(cwd, '.rookery', 'start', 'penguins.db'))).toBe(true);
    expect(existsSync(join(cwd, '.rookery', 'start', 'penguins.db-wal'))).toBe(false);
  }, 90_000);
});
