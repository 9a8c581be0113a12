import { describe, expect, it } from 'vitest';
import { ISO_DATE_BYTES, writeIsoDate } from '../../container/capture/iso-date.ts';

function formatted(ms: number): string | undefined {
  const bytes = Buffer.alloc(ISO_DATE_BYTES + 4, 0x21);
  const ok = writeIsoDate(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), 2, ms);
  // Nothing outside its 24 bytes is touched.
  expect([bytes[0], bytes[1], bytes[ISO_DATE_BYTES + 2], bytes[ISO_DATE_BYTES + 3]]).toEqual([0x21, 0x21, 0x21, 0x21]);
  return ok ? bytes.toString('latin1', 2, 2 + ISO_DATE_BYTES) : undefined;
}

describe('writeIsoDate', () => {
  it('writes what toISOString gives, at the edges of days, months, leap years and eras', () => {
    const edges = [
      0, -1, 1, 999, 1000, 86_399_999, 86_400_000, -86_400_000,
      Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(1900, 1, 28, 12), Date.UTC(1900, 2, 1), Date.UTC(2024, 1, 29), Date.UTC(2100, 2, 1),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1), Date.UTC(1600, 1, 29), Date.UTC(1970, 0, 1, 0, 0, 0, 1),
    ];
    // Date.UTC reads years 0-99 as 1900-1999: the first and last years are set on a Date.
    const year0 = new Date(0);
    year0.setUTCFullYear(0, 0, 1);
    year0.setUTCHours(0, 0, 0, 0);
    const year9999 = new Date(0);
    year9999.setUTCFullYear(9999, 11, 31);
    year9999.setUTCHours(23, 59, 59, 999);
    for (const ms of [...edges, year0.getTime(), year9999.getTime()]) expect(formatted(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it('agrees with toISOString on 100,000 random times from year 0 to 9999', () => {
    const from = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
    const to = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
    let seed = 20261208;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 100_000; i++) {
      const ms = Math.floor(from + random() * (to - from));
      const got = formatted(ms);
      if (got !== new Date(ms).toISOString()) expect(got, String(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('declines years toISOString writes in its longer form, and times that are not whole milliseconds', () => {
    expect(formatted(-62_167_219_200_001)).toBeUndefined(); // -000001-12-31T23:59:59.999Z
    expect(formatted(253_402_300_800_000)).toBeUndefined(); // +010000-01-01T00:00:00.000Z
    expect(formatted(0.5)).toBeUndefined();
    expect(formatted(Number.NaN)).toBeUndefined();
  });
});
