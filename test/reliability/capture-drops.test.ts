// Capture with a healthy sink drops nothing, whatever the request size and
// concurrency: 1,000-row requests from 16 and 64 keep-alive connections at
// once, to SQLite and to JSON Lines; every answered request's rows are on disk
// after SIGTERM and /health counts no drop. (Once, the queue's byte limit
// dropped 301 of 1,119 such requests' records on SQLite and 4,183 on JSON
// Lines with `failures: 0`: a full queue dropped instead of making the answer wait.)
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDir, serve, stopAll } from '../helpers/server.ts';
import { captureHealth, jsonlMarkers, load, missing, sqliteMarkers } from './load.ts';

afterAll(async () => {
  await stopAll();
});

const ROWS = 1_000;
/** Requests per case, over all connections (enough for the old queue to drop at either concurrency). */
const REQUESTS = 320;

const sinks = [
  { name: 'SQLite', uri: (dir: string) => `sqlite:///${join(dir, 'capture.db')}`, read: (dir: string) => sqliteMarkers(join(dir, 'capture.db')) },
  { name: 'JSON Lines', uri: (dir: string) => `file://${join(dir, 'capture')}`, read: (dir: string) => jsonlMarkers(join(dir, 'capture')) },
];

describe('capture with a healthy sink under 1,000-row requests', () => {
  for (const sink of sinks) {
    for (const connections of [16, 64]) {
      it(`${sink.name}, ${connections} connections: every answered request's rows are on disk, none dropped`, async () => {
        const dir = scratchDir('drops');
        const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: sink.uri(dir) } });
        const { answered, others } = await load(s, { connections, perConnection: REQUESTS / connections, rows: ROWS }).done;
        expect(others).toEqual({});
        expect(answered).toHaveLength(REQUESTS);
        const { status, capture } = await captureHealth(s);
        expect(capture.dropped, JSON.stringify(capture)).toBe(0);
        expect(status).toBe('ok');
        const exit = await s.stop();
        expect(exit.code, exit.stdout + exit.stderr).toBe(0);
        const lost = missing(answered, sink.read(dir), ROWS);
        expect(lost.length, `${lost.length} of ${answered.length} answered requests' rows missing on disk`).toBe(0);
      }, 120_000);
    }
  }
});
