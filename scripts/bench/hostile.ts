// Hostile clients, for `npm run bench:serve`'s hostile scenarios and the
// network reliability suite (test/reliability/network-*.test.ts): raw loopback
// sockets that send a request and never read the answer or stall halfway,
// /ping's latency from a process of its own, and the server's memory.
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { processMemory } from './measure.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A dataframe_split body of `n` rows cycling through `rows` (each a list of values in `columns`' order). */
export function splitBody(columns: readonly string[], rows: readonly unknown[][], n: number): Buffer {
  const encoded = rows.map((r) => JSON.stringify(r));
  const data = Array.from({ length: n }, (_, i) => encoded[i % encoded.length]).join(',');
  return Buffer.from(`{"dataframe_split":{"columns":${JSON.stringify(columns)},"data":[${data}]}}`);
}

/** `body` padded with spaces inside its closing brace to exactly `bytes` (JSON whitespace). */
export function padTo(body: Buffer, bytes: number): Buffer {
  return Buffer.concat([body.subarray(0, -1), Buffer.alloc(bytes - body.length, ' '), body.subarray(-1)]);
}

/** The dataframe_split body with as many rows as fit in `bytes` (about 40 bytes each, over any sane row limit). */
export function fullBody(columns: readonly string[], rows: readonly unknown[][], bytes: number): Buffer {
  const probe = splitBody(columns, rows, 1000);
  return splitBody(columns, rows, Math.floor((bytes / probe.length) * 1000 * 0.98));
}

export function postHead(length: number, headers: Record<string, string> = {}, path = '/invocations'): string {
  const lines = Object.entries({
    Host: '127.0.0.1',
    'Content-Type': 'application/json',
    'Content-Length': String(length),
    ...headers,
  }).map(([k, v]) => `${k}: ${v}`);
  return `POST ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

export interface RawClient {
  socket: Socket;
  /** Resolves when the socket closes (the server cut it off, or the test did). */
  closed: Promise<void>;
  isClosed(): boolean;
}

/** A connected socket that never reads what the server sends (its kernel receive buffer fills, then the server's). */
export function rawClient(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let closed = false;
    const done = new Promise<void>((r) => socket.once('close', () => ((closed = true), r())));
    socket.on('error', () => {});
    socket.pause();
    socket.once('connect', () => resolve({ socket, closed: done, isClosed: () => closed }));
    socket.once('error', reject);
  });
}

/** A raw request and its whole answer as text (the server closes, or `ms` passes). */
export async function rawExchange(port: number, bytes: string | Buffer, ms = 10_000): Promise<string> {
  const c = await rawClient(port);
  const chunks: Buffer[] = [];
  c.socket.on('data', (d: Buffer) => chunks.push(d));
  c.socket.resume();
  c.socket.write(bytes);
  await Promise.race([c.closed, sleep(ms)]);
  c.socket.destroy();
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON body of a raw HTTP answer. */
export function jsonOf(answer: string): {
  error_code: string;
  message: string;
} {
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
}

/** The process's resident memory now, in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  return processMemory(pid).rss / 1024 ** 2;
}

/** The process's open sockets (Linux /proc): the listening one, and each connection it still holds. */
export function openSockets(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // Closed while listing.
    }
  }
  return n;
}

export interface Latencies {
  samples: number[];
  p99(): number;
  max(): number;
}

// GET /ping on a fresh connection every EVERY ms until stdin closes, then the latencies as JSON on stdout; a failure counts as 30 s.
const PINGER = `
const http = require('node:http');
const [url, every] = process.argv.slice(1);
const samples = [];
let done = false;
process.stdin.on('end', () => (done = true)).resume();
const once = () => new Promise((resolve) => {
  const t0 = performance.now();
  const req = http.get(url + '/ping', { agent: false, timeout: 30000 }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode === 200 ? performance.now() - t0 : 30000));
  });
  req.on('timeout', () => req.destroy());
  req.on('error', () => resolve(30000));
});
(async () => {
  while (!done) {
    samples.push(await once());
    await new Promise((r) => setTimeout(r, Number(every)));
  }
  process.stdout.write(JSON.stringify(samples));
})();
`;

/**
 * /ping's latency while `busy` runs, measured from a process of its own (so
 * the test's own clients, busy writing, do not delay the measurement).
 */
export async function pingWhile(url: string, busy: Promise<unknown>, everyMs = 20): Promise<Latencies> {
  const child = spawn(process.execPath, ['-e', PINGER, url, String(everyMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise((r) => child.once('close', r));
  await busy.catch(() => {});
  child.stdin!.end();
  await exited;
  const samples = JSON.parse(out) as number[];
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    samples,
    p99: () => sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)],
    max: () => sorted[sorted.length - 1],
  };
}
