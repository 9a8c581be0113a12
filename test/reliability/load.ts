// What the capture reliability tests share: many keep-alive connections
// sending large requests at once, and the captured records counted on disk.
import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { ROUTES } from '../../container/contract.ts';
import { expect } from 'vitest';
import { COLUMNS, cyclingRows, request, sleep, until, type Served } from '../helpers/server.ts';

/** A dataframe_split body of `rows` rows whose body_mass_g is `marker` (so a request's rows can be found on disk). */
export function markedBody(rows: number, marker: number): string {
  const { rows: picked } = cyclingRows(rows);
  return JSON.stringify({ dataframe_split: { columns: COLUMNS, data: picked.map((r) => COLUMNS.map((c) => (c === 'body_mass_g' ? marker : r[c]))) } });
}

export interface Load {
  /** Markers of the requests answered 200, in the order answered. */
  answered: number[];
  /** Other statuses and transport errors, with how many of each. */
  others: Record<string, number>;
}

/**
 * `connections` keep-alive connections, each sending its next request as soon
 * as the previous is answered, until `perConnection` each or `stop()`;
 * request k carries marker `firstMarker + k`.
 */
export function load(s: Served, options: { connections: number; perConnection: number; rows: number; firstMarker?: number }): { done: Promise<Load>; stop: () => void } {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const result: Load = { answered: [], others: {} };
  let next = options.firstMarker ?? 1;
  let stopped = false;
  const connection = async () => {
    for (let i = 0; i < options.perConnection && !stopped; i++) {
      const marker = next++;
      try {
        const reply = await request(s, { body: markedBody(options.rows, marker), agent, timeoutMs: 60_000 });
        if (reply.status === 200) result.answered.push(marker);
        else result.others[reply.status] = (result.others[reply.status] ?? 0) + 1;
      } catch (err) {
        const key = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        result.others[key] = (result.others[key] ?? 0) + 1;
        if (stopped) return;
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.connections }, connection)).then(() => {
    agent.destroy();
    return result;
  });
  return { done, stop: () => (stopped = true) };
}

/** The capture block of /health. */
export async function captureHealth(s: Served): Promise<{ status: string; capture: Record<string, any> }> {
  const h = (await request(s, { path: ROUTES.health, timeoutMs: 5_000 })).json();
  return { status: h.status, capture: h.capture };
}

/**
 * Loads the server with 1-row requests on `connections` keep-alive
 * connections while `during` runs (a fault), sampling /health and checking
 * /ping every 200 ms; returns the load's counts and what the sampler saw.
 */
export async function underLoad(s: Served, during: () => Promise<void>, connections = 16) {
  const traffic = load(s, { connections, perConnection: Number.MAX_SAFE_INTEGER, rows: 1 });
  const seen: { status: string; capture: Record<string, any> }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      seen.push(await captureHealth(s));
      // /ping stays about the model whatever capture does.
      expect((await request(s, { path: ROUTES.ping, timeoutMs: 2_000 })).status).toBe(200);
      await sleep(200);
    }
  })();
  await sleep(500);
  await during();
  await sleep(1_000);
  traffic.stop();
  sampling = false;
  await sampler;
  return { ...(await traffic.done), seen };
}

/** Waits until capture has written everything and says ok, and returns its stats. */
export const settled = (s: Served, timeoutMs = 20_000) =>
  until(async () => {
    const h = await captureHealth(s);
    return h.status === 'ok' && h.capture.pending === 0 && h.capture.waiting === 0 ? h.capture : undefined;
  }, 'capture to catch up and report ok', timeoutMs);

/** How many rows of each marker the SQLite capture table holds. */
export function sqliteMarkers(path: string): Map<number, number> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT body_mass_g AS m, COUNT(*) AS n FROM data GROUP BY m').all() as { m: number; n: number }[];
    return new Map(rows.map((r) => [r.m, r.n]));
  } finally {
    db.close();
  }
}

/** Adds the rows of each marker in these JSON Lines capture texts (each line one request) to `found`. */
export function jsonlTextMarkers(texts: string[], found = new Map<number, number>()): Map<number, number> {
  for (const text of texts)
    for (const line of text.split('\n')) {
      if (!line) continue;
      const data = JSON.parse(JSON.parse(line).captureData.endpointInput.data).dataframe_split.data as unknown[][];
      const marker = data[0][COLUMNS.indexOf('body_mass_g')] as number;
      found.set(marker, (found.get(marker) ?? 0) + data.length);
    }
  return found;
}

/** How many rows of each marker the JSON Lines capture under `root` holds. */
export function jsonlMarkers(root: string): Map<number, number> {
  const found = new Map<number, number>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else jsonlTextMarkers([readFileSync(join(dir, e.name), 'utf8')], found);
    }
  };
  if (existsSync(root)) walk(root);
  return found;
}

/** The answered markers whose `rows` rows are not all on disk. */
export function missing(answered: number[], onDisk: Map<number, number>, rows: number): number[] {
  return answered.filter((m) => onDisk.get(m) !== rows);
}
