/**
 * `new Date(ms).toISOString()` written as Latin-1 bytes, for the SQLite
 * worker's date column. V8 formats toISOString through snprintf: callgrind
 * counted about 7,000 instructions per call, a third of the worker's work for
 * a 1-row request; this is integer arithmetic and sixteen stores into the slot.
 */
export const ISO_DATE_BYTES = 24;

const MS_PER_DAY = 86_400_000;

/** Each number 0-99 as its two ASCII digits in one big-endian uint16. */
const DIGIT_PAIRS = Uint16Array.from({ length: 100 }, (_, n) => ((48 + Math.floor(n / 10)) << 8) | (48 + (n % 10)));

/**
 * Writes the 24 bytes of `YYYY-MM-DDTHH:mm:ss.sssZ` for `ms` at `at`; returns
 * false, writing nothing, outside the years 0000-9999 (toISOString's longer
 * forms), which the caller formats the slow way.
 */
export function writeIsoDate(out: DataView, at: number, ms: number): boolean {
  if (!Number.isInteger(ms)) return false;
  const days = Math.floor(ms / MS_PER_DAY);
  let rest = ms - days * MS_PER_DAY;
  // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days, eras of 400 years from 0000-03-01).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) return false;
  const millis = rest % 1000;
  rest = (rest - millis) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  out.setUint16(at, DIGIT_PAIRS[Math.floor(year / 100)]);
  out.setUint16(at + 2, DIGIT_PAIRS[year % 100]);
  out.setUint8(at + 4, 45); // -
  out.setUint16(at + 5, DIGIT_PAIRS[month]);
  out.setUint8(at + 7, 45);
  out.setUint16(at + 8, DIGIT_PAIRS[day]);
  out.setUint8(at + 10, 84); // T
  out.setUint16(at + 11, DIGIT_PAIRS[hours]);
  out.setUint8(at + 13, 58); // :
  out.setUint16(at + 14, DIGIT_PAIRS[minutes]);
  out.setUint8(at + 16, 58);
  out.setUint16(at + 17, DIGIT_PAIRS[seconds]);
  out.setUint8(at + 19, 46); // .
  out.setUint8(at + 20, 48 + Math.floor(millis / 100));
  out.setUint16(at + 21, DIGIT_PAIRS[millis % 100]);
  out.setUint8(at + 23, 90); // Z
  return true;
}
