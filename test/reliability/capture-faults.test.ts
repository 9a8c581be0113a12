// Capture under faults, on the real server under load: a database another
// process locks exclusively, under each fault policy (drop: answers keep
// coming and every lost record is counted; hold: answers wait and nothing is
// lost); a JSON Lines folder made read-only (chattr +i: root ignores modes);
// a full disk (a small tmpfs filled up);
// /health says "degraded" with the cause while it lasts and "ok" after, with
// the error kept as previousError; durable capture under hold answers 503,
// never a 200 it cannot stand behind. Durations are shrunk through the settings.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDir, serve, sleep, stopAll, until } from '../helpers/server.ts';
import { captureHealth, jsonlMarkers, missing, settled, sqliteMarkers, underLoad } from './load.ts';

afterAll(async () => {
  await stopAll();
});

const LOCK_MS = 4_000;

function lockFor(dbPath: string, ms: number): Promise<void> {
  const lock = new Database(dbPath, { timeout: 5_000 });
  lock.exec('BEGIN EXCLUSIVE');
  return sleep(ms).then(() => {
    lock.exec('COMMIT');
    lock.close();
  });
}

describe('a database locked by another process for a few seconds, under load', () => {
  it('ROOKERY_CAPTURE_ON_FAULT=drop: answers keep coming, /health is degraded then ok; every answered record is on disk or counted as dropped', async () => {
    const dbPath = join(scratchDir('lock-drop'), 'capture.db');
    const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `sqlite:///${dbPath}`, ROOKERY_CAPTURE_QUEUE_BYTES: '32768' } });
    const { answered, others, seen } = await underLoad(s, () => lockFor(dbPath, LOCK_MS));
    expect(others).toEqual({});
    expect(seen.some((h) => h.status === 'degraded' && /writes to sqlite:.* are failing: database is locked/.test(h.capture.degraded))).toBe(true);
    const after = await settled(s);
    expect(after.lastError).toBeUndefined();
    expect(after.previousError).toMatch(/locked/);
    expect(after.dropped).toBeGreaterThan(0);
    expect((await s.stop()).code).toBe(0);
    const onDisk = sqliteMarkers(dbPath);
    expect(missing(answered, onDisk, 1).length).toBe(after.dropped);
    expect(onDisk.size).toBe(answered.length - after.dropped);
  }, 60_000);

  it('ROOKERY_CAPTURE_ON_FAULT=hold: answers wait out the lock; every answered record is on disk, none dropped', async () => {
    const dbPath = join(scratchDir('lock-hold'), 'capture.db');
    const s = await serve({
      env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `sqlite:///${dbPath}`, ROOKERY_CAPTURE_ON_FAULT: 'hold', ROOKERY_CAPTURE_MAX_WAIT_MS: '15000', ROOKERY_CAPTURE_QUEUE_BYTES: '32768' },
    });
    const { answered, others, seen } = await underLoad(s, () => lockFor(dbPath, LOCK_MS));
    expect(others).toEqual({});
    expect(seen.some((h) => h.status === 'degraded' && h.capture.waiting > 0)).toBe(true);
    const after = await settled(s);
    expect(after).toMatchObject({ dropped: 0, previousError: expect.stringMatching(/locked/) });
    expect((await s.stop()).code).toBe(0);
    expect(missing(answered, sqliteMarkers(dbPath), 1)).toEqual([]);
  }, 60_000);
});

describe('durable capture under hold, with the database locked for longer than the wait', () => {
  it('answers 503 rather than 200 for a request whose record is not committed within ROOKERY_CAPTURE_MAX_WAIT_MS; every 200 is on disk', async () => {
    const dbPath = join(scratchDir('durable-hold'), 'capture.db');
    const s = await serve({
      env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `sqlite:///${dbPath}`, ROOKERY_CAPTURE_DURABLE: 'true', ROOKERY_CAPTURE_ON_FAULT: 'hold', ROOKERY_CAPTURE_MAX_WAIT_MS: '1000' },
    });
    const { answered, others } = await underLoad(s, () => lockFor(dbPath, 2_500));
    expect(others['503']).toBeGreaterThan(0);
    expect(Object.keys(others)).toEqual(['503']);
    await settled(s);
    expect((await s.stop()).code).toBe(0);
    expect(missing(answered, sqliteMarkers(dbPath), 1)).toEqual([]);
  }, 60_000);
});

const chattr = spawnSync('chattr', ['--help']).error === undefined;

/** chattr +i (or -i) on a folder and everything in it. */
function immutable(root: string, on: boolean): void {
  const paths: string[] = [];
  const walk = (d: string) => {
    paths.push(d);
    for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : paths.push(join(d, e.name));
  };
  walk(root);
  const r = spawnSync('chattr', [on ? '+i' : '-i', ...paths], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`chattr failed: ${r.stderr}`);
}

describe('a JSON Lines folder made read-only for a few seconds, under load', () => {
  it.skipIf(!chattr)(`${chattr ? '' : 'skipped, needs chattr (apt-get install e2fsprogs): '}drop policy: degraded while writes fail, ok after; every answered record is on disk or counted as dropped`, async () => {
    const root = join(scratchDir('readonly'), 'capture');
    const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `file://${root}`, ROOKERY_CAPTURE_QUEUE_BYTES: '65536' } });
    let locked = false;
    try {
      const { answered, others, seen } = await underLoad(s, async () => {
        // The folder and the hour's file exist once a first batch is written.
        await until(async () => ((await captureHealth(s)).capture.written > 0 ? true : undefined), 'a first capture write');
        immutable(root, (locked = true));
        await sleep(LOCK_MS);
        immutable(root, (locked = false));
      });
      expect(others).toEqual({});
      expect(seen.some((h) => h.status === 'degraded' && /are failing: .*(EPERM|not permitted)/.test(h.capture.degraded))).toBe(true);
      const after = await settled(s);
      expect(after.previousError).toMatch(/EPERM|not permitted/);
      expect((await s.stop()).code).toBe(0);
      const onDisk = jsonlMarkers(root);
      expect(missing(answered, onDisk, 1).length).toBe(after.dropped);
    } finally {
      if (locked) immutable(root, false);
    }
  }, 60_000);
});

/** Mounts a small tmpfs (root with CAP_SYS_ADMIN only); false when this machine does not allow it. */
function mountTmpfs(dir: string): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir]).status === 0;
}

describe('a full disk for a few seconds, under load', () => {
  const probe = scratchDir('tmpfs-probe');
  const canMount = mountTmpfs(probe) && spawnSync('umount', [probe]).status === 0;
  it.skipIf(!canMount)(`${canMount ? '' : 'skipped, needs root allowed to mount tmpfs: '}JSON Lines on a full tmpfs: degraded (ENOSPC) while full, ok after; every answered record is on disk or counted as dropped`, async () => {
    const mount = scratchDir('full-disk');
    expect(mountTmpfs(mount)).toBe(true);
    try {
      const root = join(mount, 'capture');
      mkdirSync(root);
      const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `file://${root}`, ROOKERY_CAPTURE_QUEUE_BYTES: '65536' } });
      const filler = join(mount, 'filler');
      const { answered, others, seen } = await underLoad(s, async () => {
        spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
        await sleep(LOCK_MS);
        rmSync(filler);
      });
      expect(others).toEqual({});
      expect(seen.some((h) => h.status === 'degraded' && /are failing: .*ENOSPC/.test(h.capture.degraded))).toBe(true);
      const after = await settled(s);
      expect(after.previousError).toMatch(/ENOSPC/);
      expect((await s.stop()).code).toBe(0);
      expect(missing(answered, jsonlMarkers(root), 1).length).toBe(after.dropped);
    } finally {
      spawnSync('umount', ['-l', mount]);
    }
  }, 60_000);
});
