// Double-double arithmetic (an unevaluated sum hi + lo of two doubles, ~106
// bits), after the QD library as vendored in scipy's cephes (`dd_real`).
// scipy's one-sided Smirnov distribution sums binomial terms in this precision,
// and matching its tail p-values needs the same headroom. Only the operations
// that computation uses are here.

export interface DD {
  readonly hi: number;
  readonly lo: number;
}

export const ONE: DD = { hi: 1, lo: 0 };

// Dekker's splitter 2^27 + 1; above 2^996 the product would overflow, so such
// values are scaled down first (as dd_real's two_split does).
const SPLITTER = 134217729;
const SPLIT_THRESHOLD = 6.69692879491417e299;

function split(a: number): [number, number] {
  if (a > SPLIT_THRESHOLD || a < -SPLIT_THRESHOLD) {
    const scaled = a * 3.7252902984619140625e-9;
    const t = SPLITTER * scaled;
    const hi = t - (t - scaled);
    return [hi * 268435456, (scaled - hi) * 268435456];
  }
  const t = SPLITTER * a;
  const hi = t - (t - a);
  return [hi, a - hi];
}

// JavaScript has no fused multiply-add; Dekker's product gives the same exact
// rounding error that dd_real gets from fma.
function twoProdErr(a: number, b: number, p: number): number {
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return { hi: s, lo: b - (s - a) };
}

/** a + b for doubles, exactly. */
export function sumOf(a: number, b: number): DD {
  const s = a + b;
  const c = s - a;
  return { hi: s, lo: a - (s - c) + (b - c) };
}

/** a * b for doubles, exactly. */
export function productOf(a: number, b: number): DD {
  const p = a * b;
  return { hi: p, lo: twoProdErr(a, b, p) };
}

/** a / b for doubles, to double-double precision. */
export function quotientOf(a: number, b: number): DD {
  const q1 = a / b;
  const p1 = q1 * b;
  const p2 = twoProdErr(q1, b, p1);
  const s = a - p1;
  const bb = s - a;
  const e = a - (s - bb) - (p1 + bb) - p2;
  return quickTwoSum(q1, (s + e) / b);
}

export function add(a: DD, b: DD): DD {
  const s = sumOf(a.hi, b.hi);
  const t = sumOf(a.lo, b.lo);
  const u = quickTwoSum(s.hi, s.lo + t.hi);
  return quickTwoSum(u.hi, u.lo + t.lo);
}

export function addNumber(a: DD, b: number): DD {
  const s = sumOf(a.hi, b);
  return quickTwoSum(s.hi, s.lo + a.lo);
}

export function sub(a: DD, b: DD): DD {
  return add(a, { hi: -b.hi, lo: -b.lo });
}

export function mul(a: DD, b: DD): DD {
  const p = a.hi * b.hi;
  const err = twoProdErr(a.hi, b.hi, p) + (a.hi * b.lo + a.lo * b.hi);
  return quickTwoSum(p, err);
}

export function mulNumber(a: DD, b: number): DD {
  const p1 = a.hi * b;
  const e1 = twoProdErr(a.hi, b, p1);
  const p2 = a.lo * b;
  const e2 = twoProdErr(a.lo, b, p2);
  return quickTwoSum(p1, e2 + p2 + e1);
}

function div(a: DD, b: DD): DD {
  const q1 = a.hi / b.hi;
  let r = sub(a, mulNumber(b, q1));
  const q2 = r.hi / b.hi;
  r = sub(r, mulNumber(b, q2));
  const q3 = r.hi / b.hi;
  return addNumber(quickTwoSum(q1, q2), q3);
}

export function divNumber(a: DD, b: number): DD {
  return div(a, { hi: b, lo: 0 });
}

export function inverse(a: DD): DD {
  return div(ONE, a);
}

export function floor(a: DD): DD {
  const hi = Math.floor(a.hi);
  if (hi !== a.hi) return { hi, lo: 0 };
  return quickTwoSum(hi, Math.floor(a.lo));
}

export function isZero(a: DD): boolean {
  return a.hi === 0;
}

const bits = new DataView(new ArrayBuffer(8));

/** C's frexp: x = mantissa * 2^exponent with 0.5 <= |mantissa| < 1. */
function frexpNumber(x: number): { mantissa: number; exponent: number } {
  if (x === 0 || !Number.isFinite(x)) return { mantissa: x, exponent: 0 };
  let shift = 0;
  if (Math.abs(x) < 2.2250738585072014e-308) {
    x *= 2 ** 64;
    shift = 64;
  }
  bits.setFloat64(0, x);
  const high = bits.getUint32(0);
  const biased = (high >>> 20) & 0x7ff;
  bits.setUint32(0, ((high & 0x800fffff) | (1022 << 20)) >>> 0);
  return { mantissa: bits.getFloat64(0), exponent: biased - 1022 - shift };
}

// Every power of two a double can hold, 2^-1074 .. 2^1023: scaling by a table
// entry is one exact multiplication, where 2 ** e would call Math.pow.
const MIN_POWER = -1074;
const POWERS_OF_TWO = Float64Array.from({ length: 1023 - MIN_POWER + 1 }, (_, i) => 2 ** (i + MIN_POWER));

/** C's ldexp: x * 2^e, in steps when 2^e alone is not representable. */
export function ldexpNumber(x: number, e: number): number {
  while (e > 1023) {
    x *= POWERS_OF_TWO[1023 - MIN_POWER];
    e -= 1023;
  }
  while (e < -1022) {
    x *= POWERS_OF_TWO[-1022 - MIN_POWER];
    e += 1022;
  }
  return x * POWERS_OF_TWO[e - MIN_POWER];
}

/** dd_real's frexp: mantissa hi in [0.5, 1), or exactly ±1 with lo of the other sign. */
export function frexp(a: DD): { mantissa: DD; exponent: number } {
  const { mantissa, exponent } = frexpNumber(a.hi);
  let man = mantissa;
  let lo = ldexpNumber(a.lo, -exponent);
  let exp = exponent;
  if (Math.abs(man) === 0.5 && man * lo < 0) {
    man *= 2;
    lo *= 2;
    exp -= 1;
  }
  return { mantissa: { hi: man, lo }, exponent: exp };
}

export function ldexp(a: DD, e: number): DD {
  return { hi: ldexpNumber(a.hi, e), lo: ldexpNumber(a.lo, e) };
}
