// Stopping on time with capture: SIGTERM under load with the database
// exclusively locked by another process exits within the flush bound
// (ROOKERY_CAPTURE_FLUSH_MS), saying in the log what it could not write; and
// in durable mode (ROOKERY_CAPTURE_DURABLE=true) SIGKILL under load loses no
// answered request's record, on SQLite and JSON Lines.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDir, serve, sleep, stopAll, until } from '../helpers/server.ts';
import { captureHealth, jsonlMarkers, load, missing, sqliteMarkers } from './load.ts';

afterAll(async () => {
  await stopAll();
});

const FLUSH_MS = 2_000;

describe('SIGTERM with the capture database locked', () => {
  it(`exits 0 within ${FLUSH_MS} ms of flushing plus a margin, logging the records it gave up; what is on disk was answered`, async () => {
    const dbPath = join(scratchDir('stop-locked'), 'capture.db');
    const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `sqlite:///${dbPath}`, ROOKERY_CAPTURE_FLUSH_MS: String(FLUSH_MS) } });
    const traffic = load(s, { connections: 16, perConnection: Number.MAX_SAFE_INTEGER, rows: 10 });
    await until(async () => ((await captureHealth(s)).capture.written > 0 ? true : undefined), 'a first capture write');
    const lock = new Database(dbPath, { timeout: 5_000 });
    lock.exec('BEGIN EXCLUSIVE');
    try {
      await until(async () => ((await captureHealth(s)).capture.failures > 0 ? true : undefined), 'a write failing on the lock');
      await sleep(300);
      const exit = await s.stop('SIGTERM');
      traffic.stop();
      const { answered } = await traffic.done;
      expect(exit.code, exit.stdout + exit.stderr).toBe(0);
      expect(exit.ms).toBeLessThan(FLUSH_MS + 3_000);
      const gaveUp = /capture: gave up on (\d+) pending records at shutdown: database is locked/.exec(exit.stdout + exit.stderr);
      expect(gaveUp, exit.stdout + exit.stderr).not.toBeNull();
      expect(Number(gaveUp![1])).toBeGreaterThan(0);
      lock.exec('COMMIT');
      const onDisk = sqliteMarkers(dbPath);
      const answeredSet = new Set(answered);
      expect([...onDisk.keys()].filter((m) => !answeredSet.has(m))).toEqual([]);
    } finally {
      if (lock.inTransaction) lock.exec('ROLLBACK');
      lock.close();
    }
  }, 60_000);
});

const sinks = [
  { name: 'SQLite', uri: (dir: string) => `sqlite:///${join(dir, 'capture.db')}`, read: (dir: string) => sqliteMarkers(join(dir, 'capture.db')) },
  { name: 'JSON Lines', uri: (dir: string) => `file://${join(dir, 'capture')}`, read: (dir: string) => jsonlMarkers(join(dir, 'capture')) },
];

describe('durable capture and SIGKILL under load', () => {
  for (const sink of sinks) {
    it(`${sink.name}: every request answered before the kill has its rows on disk`, async () => {
      const dir = scratchDir('durable-kill');
      const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: sink.uri(dir), ROOKERY_CAPTURE_DURABLE: 'true' } });
      const traffic = load(s, { connections: 16, perConnection: Number.MAX_SAFE_INTEGER, rows: 5 });
      await until(async () => ((await captureHealth(s)).capture.written > 500 ? true : undefined), '500 records written');
      const answeredBefore = (await captureHealth(s)).capture.written;
      const exit = await s.stop('SIGKILL');
      traffic.stop();
      const { answered } = await traffic.done;
      expect(exit.signal).toBe('SIGKILL');
      expect(answered.length).toBeGreaterThanOrEqual(answeredBefore - 16);
      expect(missing(answered, sink.read(dir), 5)).toEqual([]);
    }, 60_000);
  }
});
