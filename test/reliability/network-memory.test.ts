// Clients that send a request and never read the answer (issue 14: 50 such
// clients grew the server to 962 MiB, /ping took over 10 s, and the sockets
// stayed open for ever). The server must stay within its byte budget, keep
// answering /ping, and cut such clients off after its write timeout.
import { afterAll, describe, expect, it } from 'vitest';
import { serve, sleep, stopAll, type Served } from '../helpers/server.ts';
import { fullBody, openSockets, padTo, pingWhile, postHead, rawClient, rssMiB, splitBody, type RawClient } from './hostile.ts';

afterAll(async () => {
  await stopAll();
});

const SIX_MB = 6_000_000;

/** Sends each client its body, then watches the server's resident memory and /ping for `watchMs`; resolves with the figures. */
async function attack(s: Served, clients: RawClient[], bodyOf: (i: number) => Buffer, watchMs: number) {
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(s.child.pid!))), 25);
  try {
    clients.forEach((c, i) => {
      const body = bodyOf(i);
      c.socket.write(postHead(body.length));
      c.socket.write(body);
    });
    const pings = await pingWhile(s.url, sleep(watchMs));
    return {
      peak,
      pingMax: pings.max(),
      figures: () => `peak ${peak.toFixed(0)} MiB, /ping max ${pings.max().toFixed(0)} ms, ${openSockets(s.child.pid!)} sockets open in the server`,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** Polls until the check holds (true) or `ms` pass (false). */
async function within(ms: number, check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

describe('clients that never read their answers', () => {
  it('50 clients with 6 MB bodies (default limits): resident memory stays under 350 MiB and /ping answers within 2 s', { timeout: 120_000 }, async () => {
    const s = await serve();
    // Half send as many rows as 6 MB holds (about 150,000: over the row limit), half the largest request the server accepts (10,000 rows, padded to 6 MB).
    const bodies = [fullBody(SIX_MB), padTo(splitBody(10_000), SIX_MB)];
    const clients = await Promise.all(Array.from({ length: 50 }, () => rawClient(s.port)));
    try {
      const { peak, pingMax, figures } = await attack(s, clients, (i) => bodies[i % 2], 8_000);
      expect(peak, figures()).toBeLessThan(350);
      expect(pingMax, figures()).toBeLessThan(2_000);
    } finally {
      for (const c of clients) c.socket.destroy();
      await s.stop();
    }
  });

  // The row limit raised so that answers (8 MB) outgrow the kernel's socket buffers and wait in the server; /ping's bound does not hold then
  // (a request of 150,000 rows is more work than a fair slice), memory's and the write timeout's do. The answers waiting are held to the
  // 64 MiB budget, and the requests waiting for the scheduler hold only their text; the rest of the peak is garbage V8 has not yet collected
  // after parsing and scoring 150,000-row bodies, which this raised limit lets in (352-573 MiB seen; 535-723 MiB when waiting requests
  // were parsed before they waited, which CI's run crossed 700 with). Before the limits, the cut-off never came.
  it("8 clients whose 8 MB answers cannot fit the kernel's buffers: memory stays under 700 MiB, and each is cut off after the write timeout", { timeout: 120_000 }, async () => {
    const s = await serve({
      env: { ROOKERY_WRITE_TIMEOUT_MS: '2000', ROOKERY_MAX_ROWS: '200000' },
    });
    const body = fullBody(SIX_MB);
    const idle = openSockets(s.child.pid!);
    const clients = await Promise.all(Array.from({ length: 8 }, () => rawClient(s.port)));
    try {
      const { peak, figures } = await attack(s, clients, () => body, 4_000);
      // The clients never read, so they cannot see the close: count the sockets the server still holds (it scores them one after another).
      const cutOff = await within(45_000, () => openSockets(s.child.pid!) <= idle);
      expect(peak, figures()).toBeLessThan(700);
      expect(cutOff, figures()).toBe(true);
    } finally {
      for (const c of clients) c.socket.destroy();
      await s.stop();
    }
  });
});
