// The slicing that keeps one large request from holding the event loop
// (container/steps.ts) and the byte budget behind the 503 (byte-budget.ts).
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../container/byte-budget.ts';
import { runToEnd, SliceScheduler, type Steps } from '../../container/steps.ts';

/** Work of `slices` slices of about `ms` each, logging its name at each slice. */
function* busy(name: string, slices: number, ms: number, log: string[]): Steps<string> {
  for (let i = 0; i < slices; i++) {
    const until = performance.now() + ms;
    while (performance.now() < until);
    log.push(name);
    yield;
  }
  return `${name} done`;
}

describe('SliceScheduler', () => {
  it('gives the event loop a turn between slices: an immediate queued by another request runs before the long work ends', async () => {
    const log: string[] = [];
    const scheduler = new SliceScheduler(1, 5);
    const long = scheduler.run(busy('long', 10, 3, log));
    setImmediate(() => log.push('ping'));
    expect(await long).toBe('long done');
    const ping = log.indexOf('ping');
    expect(ping).toBeGreaterThan(0);
    expect(ping).toBeLessThan(log.length - 1);
  });

  it('runs work that fits in one slice without waiting, and at most maxActive long ones at a time, first come first served', async () => {
    const log: string[] = [];
    const scheduler = new SliceScheduler(1, 1);
    const a = scheduler.run(busy('a', 4, 2, log));
    const b = scheduler.run(busy('b', 4, 2, log));
    const quick = scheduler.run(busy('q', 1, 0, log));
    await Promise.all([a, b, quick]);
    // a and b each took their first slice at once; then a ran to its end before b went on; q never waited for either.
    const rest = log.filter((n) => n !== 'q');
    expect(rest.slice(2)).toEqual(['a', 'a', 'a', 'b', 'b', 'b']);
    expect(await quick).toBe('q done');
  });

  it('runs work flagged large only in its place: no step of it runs while another long work holds the place, so it waits holding only its input', async () => {
    const log: string[] = [];
    const scheduler = new SliceScheduler(1, 1);
    const a = scheduler.run(busy('a', 4, 2, log));
    const big = scheduler.run(busy('big', 2, 0, log), true);
    const small = scheduler.run(busy('s', 2, 2, log));
    await Promise.all([a, big, small]);
    // Unflagged, big's first slice would have run at once, beside a's first (as s's does here).
    expect(log.slice(0, 2)).toEqual(['a', 's']);
    expect(log.indexOf('big')).toBeGreaterThan(log.lastIndexOf('a'));
    expect(await big).toBe('big done');
  });

  it('runToEnd gives the same result at once', () => {
    expect(runToEnd(busy('x', 3, 0, []))).toBe('x done');
  });
});

describe('ByteBudget', () => {
  const socket = (): Socket => ({}) as Socket;

  it('refuses body bytes past the total or the connection limit, never answer bytes, and gives everything back on release', () => {
    const budget = new ByteBudget(100, 60);
    const [s1, s2] = [socket(), socket()];
    const h1 = budget.hold(s1);
    expect(h1.admit(50)).toBeUndefined();
    expect(h1.admit(20)).toBe('connection');
    const h2 = budget.hold(s2);
    expect(h2.admit(40)).toBeUndefined();
    expect(h2.admit(20)).toBe('total');
    h2.add(500);
    expect(budget.held).toBe(590);
    h1.release();
    h2.release();
    expect(budget.held).toBe(0);
    expect(budget.hold(s1).admit(60)).toBeUndefined();
  });
});
