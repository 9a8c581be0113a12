// The capture settings (ROOKERY_CAPTURE_*): defaults, values, and a bad value
// refused in one line that names the setting and the fix, by the real server too.
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_BATCHER_OPTIONS } from '../../container/capture/batcher.ts';
import { readCaptureSettings } from '../../container/capture/settings.ts';
import { runToExit, stopAll } from '../helpers/server.ts';

afterAll(async () => {
  await stopAll();
});

describe('readCaptureSettings', () => {
  it('unset or empty: the defaults (drop, not durable, 10 s waits and flush, a 2 MiB queue)', () => {
    const d = DEFAULT_BATCHER_OPTIONS;
    expect(readCaptureSettings({ ROOKERY_CAPTURE_DURABLE: '' })).toEqual({ onFault: 'drop', durable: false, maxWaitMs: d.maxWaitMs, maxPendingBytes: d.maxPendingBytes, flushMs: d.flushMs });
    expect([d.maxWaitMs, d.maxPendingBytes, d.flushMs]).toEqual([10_000, 2 * 1024 * 1024, 10_000]);
  });

  it('reads each setting', () => {
    expect(
      readCaptureSettings({
        ROOKERY_CAPTURE_ON_FAULT: 'HOLD',
        ROOKERY_CAPTURE_DURABLE: 'true',
        ROOKERY_CAPTURE_MAX_WAIT_MS: '1500',
        ROOKERY_CAPTURE_QUEUE_BYTES: '65536',
        ROOKERY_CAPTURE_FLUSH_MS: '2000',
      }),
    ).toEqual({ onFault: 'hold', durable: true, maxWaitMs: 1_500, maxPendingBytes: 65_536, flushMs: 2_000 });
  });

  it.each([
    [{ ROOKERY_CAPTURE_ON_FAULT: 'retry' }, 'ROOKERY_CAPTURE_ON_FAULT="retry" is not a capture fault policy; use drop or hold'],
    [{ ROOKERY_CAPTURE_DURABLE: 'yes please' }, 'ROOKERY_CAPTURE_DURABLE="yes please" is not a boolean; use true or false'],
    [{ ROOKERY_CAPTURE_MAX_WAIT_MS: '0' }, 'ROOKERY_CAPTURE_MAX_WAIT_MS="0" is not a positive whole number; unset it for the default, 10000'],
    [{ ROOKERY_CAPTURE_QUEUE_BYTES: '1e6' }, 'ROOKERY_CAPTURE_QUEUE_BYTES="1e6" is not a positive whole number; unset it for the default, 2097152'],
  ])('refuses %o', (env, message) => {
    expect(() => readCaptureSettings(env)).toThrow(message);
  });

  it('the server refuses a bad setting at start: exit 1, one line, no stack', async () => {
    const exit = await runToExit(['serve', '--port', '0'], { env: { ROOKERY_CAPTURE_ON_FAULT: 'retry' } });
    expect(exit.code).toBe(1);
    expect(exit.stderr.trim()).toMatch(/^[^\n]*ROOKERY_CAPTURE_ON_FAULT="retry" is not a capture fault policy; use drop or hold[^\n]*$/);
  });
});
