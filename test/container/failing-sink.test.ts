// A capture sink that fails (a locked database, a path that cannot be
// created, a folder that goes away) never fails or slows a prediction: the
// failure is logged, counted and shown on /health ("degraded", with the
// cause, until writes work again), the records wait in memory and are written
// once the sink recovers, with nothing lost.
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../container/contract.ts';
import { request, ROW, scratchDir, serve, stopAll, until, type Served } from '../helpers/server.ts';

afterAll(async () => {
  await stopAll();
});

const capture = async (s: Served) => (await request(s, { path: ROUTES.health, timeoutMs: 2_000 })).json().capture;

/** n one-row requests marked with body_mass_g = base + i; all must get 200, and /ping must answer within SageMaker's 2 s meanwhile. */
async function scoreMarked(s: Served, base: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const reply = await request(s, { body: { dataframe_records: [{ ...ROW, body_mass_g: base + i }] }, timeoutMs: 2_000 });
    expect(reply.status, reply.text).toBe(200);
  }
  expect((await request(s, { path: ROUTES.ping, timeoutMs: 2_000 })).status).toBe(200);
}

const markers = (db: Database.Database) => (db.prepare('SELECT body_mass_g AS m FROM data ORDER BY m').all() as { m: number }[]).map((r) => r.m);
const range = (base: number, n: number) => Array.from({ length: n }, (_, i) => base + i);

describe('a failing capture sink', () => {
  it('a locked database, from the first write and again later: predictions stay 200, /health shows it, nothing is lost', async () => {
    const dbPath = join(scratchDir('locked'), 'capture.db');
    // Another process holds an exclusive lock before the server ever opens the database.
    const lock = new Database(dbPath, { timeout: 0 });
    lock.exec('BEGIN EXCLUSIVE');
    const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `sqlite:///${dbPath}` } });
    try {
      await scoreMarked(s, 1_000, 20);
      const failing = await until(async () => {
        const c = await capture(s);
        return c.failures > 0 ? c : undefined;
      }, 'a failed capture write');
      expect(failing).toMatchObject({ sink: `sqlite:${dbPath}`, accepted: 20, written: 0, pending: 20, dropped: 0, lastError: expect.stringMatching(/locked/) });
      const health = (await request(s, { path: ROUTES.health })).json();
      expect(health).toMatchObject({ status: 'degraded', capture: { degraded: expect.stringMatching(/^writes to sqlite:.* are failing: database is locked/) } });

      lock.exec('COMMIT');
      await until(async () => ((await capture(s)).written === 20 ? true : undefined), 'the pending records written after the lock is released', 15_000);
      expect(markers(lock)).toEqual(range(1_000, 20));
      // Recovered: ok again, the error kept as past.
      const recovered = (await request(s, { path: ROUTES.health })).json();
      expect(recovered.status).toBe('ok');
      expect(recovered.capture).toMatchObject({ previousError: expect.stringMatching(/locked/), recoveredAt: expect.any(String) });
      expect(recovered.capture.lastError).toBeUndefined();
      expect(recovered.capture.degraded).toBeUndefined();

      // Locked again while the server is writing (WAL mode now): the same, and the batch is retried whole.
      lock.exec('BEGIN EXCLUSIVE');
      const failuresBefore = (await capture(s)).failures;
      await scoreMarked(s, 2_000, 30);
      await until(async () => ((await capture(s)).failures > failuresBefore ? true : undefined), 'another failed write');
      expect(await capture(s)).toMatchObject({ accepted: 50, written: 20, pending: 30, dropped: 0 });
      lock.exec('COMMIT');
      await until(async () => ((await capture(s)).written === 50 ? true : undefined), 'all records written', 15_000);

      const exit = await s.stop();
      expect(exit.code).toBe(0);
      expect(exit.stdout + exit.stderr).toMatch(/capture: writing to sqlite:.* failed \(database is locked\); \d+ records kept, retrying/);
      expect(markers(lock)).toEqual([...range(1_000, 20), ...range(2_000, 30)]);
    } finally {
      if (lock.inTransaction) lock.exec('ROLLBACK');
      lock.close();
    }
  });

  it('a database path that cannot be created: 200s, /health reports it, and SIGTERM still exits 0 within 30 s, counting what it gave up', async () => {
    const dir = scratchDir('unwritable');
    // The parent "folder" is a regular file, so creating the database fails (chmod would not stop root).
    writeFileSync(join(dir, 'not-a-folder'), 'x');
    const dbPath = join(dir, 'not-a-folder', 'capture.db');
    const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `sqlite:///${dbPath}` } });
    await scoreMarked(s, 1, 10);
    const c = await until(async () => {
      const x = await capture(s);
      return x.failures >= 2 ? x : undefined;
    }, 'two failed capture writes');
    expect(c).toMatchObject({ accepted: 10, written: 0, pending: 10, lastError: expect.stringMatching(/EEXIST|ENOTDIR/) });
    const exit = await s.stop();
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(30_000);
    expect(exit.stdout + exit.stderr).toMatch(/capture: gave up on 10 pending records at shutdown: .*(EEXIST|ENOTDIR)/);
  }, 45_000);

  it('a JSON Lines folder that goes away and comes back: records wait, then are all written', async () => {
    const base = scratchDir('jsonl-gone');
    const root = join(base, 'capture');
    const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `file://${root}` } });
    await scoreMarked(s, 100, 5);
    await until(async () => ((await capture(s)).written === 5 ? true : undefined), 'five records written');
    // The capture folder is replaced by a file: mkdir and append fail.
    rmSync(root, { recursive: true });
    writeFileSync(root, 'in the way');
    await scoreMarked(s, 200, 7);
    const failing = await until(async () => {
      const x = await capture(s);
      return x.failures > 0 ? x : undefined;
    }, 'a failed write');
    expect(failing).toMatchObject({ written: 5, pending: 7, lastError: expect.stringMatching(/EEXIST|ENOTDIR/) });
    rmSync(root);
    mkdirSync(root);
    await until(async () => ((await capture(s)).written === 12 ? true : undefined), 'the waiting records written', 15_000);
    expect((await s.stop()).code).toBe(0);
    const masses: number[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else
          for (const line of readFileSync(join(d, e.name), 'utf8').trimEnd().split('\n')) {
            masses.push(JSON.parse(JSON.parse(line).captureData.endpointInput.data).dataframe_records[0].body_mass_g);
          }
      }
    };
    walk(root);
    // The first five were in the folder that was removed; the seven that waited are all there.
    expect(masses.sort((a, b) => a - b)).toEqual(range(200, 7));
  });
});
