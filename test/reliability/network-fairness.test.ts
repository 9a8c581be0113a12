// Large requests from several clients at once (issue 14: a 6 MB CSV of
// 1,000,000 empty rows held the event loop 6 s, and two clients sending it put
// /ping at 6.9 s p50; SageMaker replaces a container whose /ping takes 2 s).
// Parsing and scoring run in slices, past the row limit a request is refused
// after the limit's worth of work, and /ping keeps answering.
import { afterAll, describe, expect, it } from 'vitest';
import { COLUMNS, request, serve, sleep, stopAll, type Served } from '../helpers/server.ts';
import { padTo, pingWhile, splitBody } from './hostile.ts';

afterAll(async () => {
  await stopAll();
});

/** Sends the body again and again until `until`, counting the statuses. */
async function sendLoop(s: Served, body: Buffer, contentType: string, until: number, statuses: number[]): Promise<void> {
  while (Date.now() < until)
    statuses.push(
      await request(s, { body, contentType, timeoutMs: 60_000 }).then(
        (r) => r.status,
        () => 0,
      ),
    );
}

describe('large bodies from several clients', () => {
  it('/ping p99 stays under 500 ms while 4 clients send 6 MB bodies: 1,000,000 empty CSV rows (413) and the largest accepted request (200)', { timeout: 120_000 }, async () => {
    const s = await serve();
    const emptyRows = Buffer.from(`${COLUMNS.join(',')}\n${',,,,,\n'.repeat(1_000_000)}`);
    const largest = padTo(splitBody(10_000), 6_000_000);
    const until = Date.now() + 8_000;
    const statuses: number[] = [];
    const load = Promise.all([
      sendLoop(s, emptyRows, 'text/csv', until, statuses),
      sendLoop(s, emptyRows, 'text/csv', until, statuses),
      sendLoop(s, largest, 'application/json', until, statuses),
      sendLoop(s, largest, 'application/json', until, statuses),
    ]);
    const pings = await pingWhile(
      s.url,
      sleep(1_000).then(() => load),
    );
    await s.stop();
    const figures = `/ping p99 ${pings.p99().toFixed(0)} ms, max ${pings.max().toFixed(0)} ms over ${pings.samples.length}; statuses ${[...new Set(statuses)].join(', ')} (${
      statuses.length
    } requests)`;
    expect(pings.p99(), figures).toBeLessThan(500);
    expect(new Set(statuses), figures).toEqual(new Set([200, 413]));
  });
});
