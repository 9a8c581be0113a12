// Survival function of the one-sided one-sample Kolmogorov-Smirnov statistic
// D+_n, `scipy.special.smirnov(n, d)`: a port of cephes `_smirnov` as shipped
// with scipy (van Mulbregt's algorithm, arXiv:1802.06966). scipy's `kstwo`
// uses 2 * smirnov for the upper tail, which is where drifted columns land, so
// the same summation in double-double precision keeps tiny p-values accurate.

import {
  type DD,
  ONE,
  add,
  addNumber,
  divNumber,
  floor,
  frexp,
  inverse,
  isZero,
  ldexp,
  ldexpNumber,
  mul,
  mulNumber,
  productOf,
  quotientOf,
  sub,
  sumOf,
} from './double-double.ts';

// cephes MINLOG: log of the smallest subnormal double; exp() of less is 0.
const MIN_LOG = -7.451332191019412076235e2;
// Above this n the exact sum takes too long and cephes uses an asymptotic form.
const MAX_COMPUTE_N = 1_000_000;
// The upper sum alternates and loses ~1.6 bits per term, so it is used only
// when it has very few terms.
const UPPER_SUM_MAX_TERMS = 3;
const UPPER_SUM_MIN_N = 10;
// Keeps both halves of a double-double normalized while raising to a power.
const MAX_EXPONENT = 960;

interface Scaled {
  mantissa: DD;
  exponent: number;
}

function powDD(a: DD, m: number): DD {
  if (m <= 0) return m === 0 ? ONE : inverse(powDD(a, -m));
  if (isZero(a)) return { hi: 0, lo: 0 };
  // A full double-double power is slow; cephes trades a little accuracy by
  // correcting pow(hi) for the low word.
  const ans = Math.pow(a.hi, m);
  const r = a.lo / a.hi;
  let adj = m * r;
  if (Math.abs(adj) > 1e-8) {
    adj = Math.abs(adj) < 1e-4 ? adj + m * r * (((m - 1) / 2) * r) : Math.expm1(m * Math.log1p(r));
  }
  return sumOf(ans, ans * adj);
}

function nextPowerOf2(x: number): number {
  const q = ldexpNumber(x, 1 - 53);
  const l = Math.abs(q + x);
  if (l === 0) return Math.abs(x);
  return Math.trunc(l) === l ? Math.trunc(l) : l;
}

// a^m as mantissa * 2^exponent: the binomial terms over- and underflow a
// double long before their product does.
function powScaled(a: DD, m: number): Scaled {
  if (m <= 0) {
    if (m === 0) return { mantissa: ONE, exponent: 0 };
    const positive = powScaled(a, -m);
    const inv = frexp(inverse(positive.mantissa));
    return { mantissa: inv.mantissa, exponent: inv.exponent - positive.exponent };
  }
  const { mantissa: y, exponent: yExp } = frexp(a);
  if (m === 1) return { mantissa: y, exponent: yExp };
  let maxExpt = MAX_EXPONENT;
  if ((m * (y.hi - 1)) / y.hi < -MAX_EXPONENT * Math.LN2) {
    const log2y = Math.log(y.hi) / Math.LN2;
    if (m * log2y <= -MAX_EXPONENT) {
      maxExpt = Math.trunc(nextPowerOf2(-MAX_EXPONENT / log2y + 1) / 2);
    }
  }
  if (m <= maxExpt) {
    const p = frexp(powDD(y, m));
    return { mantissa: p.mantissa, exponent: p.exponent + m * yExp };
  }
  const q = Math.trunc(m / maxExpt);
  const r = m % maxExpt;
  const yr = powScaled(y, r);
  const ymax = powScaled(y, maxExpt);
  const ymaxq = powScaled(ymax.mantissa, q);
  const ans = frexp(mul(yr.mantissa, ymaxq.mantissa));
  return {
    mantissa: ans.mantissa,
    exponent: ans.exponent + ymaxq.exponent + ymax.exponent * q + yr.exponent + m * yExp,
  };
}

/** Binomial(n, j+1) from Binomial(n, j), kept as a scaled double-double. */
function nextBinomial(c: Scaled, n: number, j: number): Scaled {
  const next = frexp(mul(c.mantissa, quotientOf(n - j, j + 1)));
  return { mantissa: next.mantissa, exponent: c.exponent + next.exponent };
}

/** A_v(n, x) = Binomial(n, v) (1 - x - v/n)^(n-v) (x + v/n)^(v-1). */
function term(n: number, x: number, v: number, binomial: Scaled): DD {
  const t2 = powScaled(addNumber(quotientOf(n - v, n), -x), n - v);
  const t1 = powScaled(addNumber(quotientOf(v, n), x), v - 1);
  const product = mul(mul(t1.mantissa, t2.mantissa), binomial.mantissa);
  return ldexp(product, binomial.exponent + t1.exponent + t2.exponent);
}

/**
 * P(D+_n > x) for an integer n >= 1 and 0 <= x <= 1, as scipy.special.smirnov.
 */
export function smirnovSf(n: number, x: number): number {
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;

  // floor(n x) and its remainder, exactly.
  const nx = productOf(n, x);
  const nxFloorDD = floor(nx);
  let alpha = sub(nx, nxFloorDD).hi;
  let nxFloor = Math.trunc(nxFloorDD.hi);
  if (alpha === 1) {
    nxFloor += 1;
    alpha = 0;
  }
  let lowerLast = n - nxFloor - (alpha === 0 ? 0 : 1);
  let upperFirst = n - nxFloor;
  // At an exact multiple of 1/n the boundary term belongs to neither sum.
  if (alpha === 0) {
    lowerLast -= 1;
    upperFirst += 1;
  }

  if (nxFloor === 0 || (nxFloor === 1 && alpha === 0)) {
    return 1 - x * powDD(sumOf(1, x), n - 1).hi;
  }
  if (-2 * n * x * x < MIN_LOG) return 0;
  if (nxFloor >= n - 1) return powDD(sumOf(1, -x), n).hi;
  if (n > MAX_COMPUTE_N) return Math.exp(-Math.pow(6 * n * x + 1, 2) / 18 / n);

  const upperTerms = n - upperFirst + 1;
  const useUpperSum =
    (upperTerms <= 1 && x < 0.5) ||
    (n >= UPPER_SUM_MIN_N && upperTerms <= UPPER_SUM_MAX_TERMS && x <= 0.5 / Math.sqrt(n));

  const start = useUpperSum ? n : 0;
  const step = useUpperSum ? -1 : 1;
  const nTerms = useUpperSum ? upperTerms : lowerLast + 1;
  let aj = useUpperSum ? powDD(sumOf(1, x), n - 1) : divNumber(powDD(sumOf(1, -x), n), x);
  let sum = aj;
  let binomial = nextBinomial({ mantissa: ONE, exponent: 0 }, n, 0);
  const vMid = Math.trunc(n / 2);
  for (let j = 1; j < nTerms; j++) {
    aj = term(n, x, start + j * step, binomial);
    if (Number.isFinite(aj.hi) && !isZero(aj)) sum = add(sum, aj);
    if (!isZero(aj)) {
      // The remaining terms cannot change the sum at double precision.
      if (4 * (nTerms - j) * Math.abs(aj.hi) < Number.EPSILON * sum.hi && j !== nTerms - 1) break;
    } else if (j > vMid) {
      break;
    }
    binomial = nextBinomial(binomial, n, j);
  }
  const prob = mulNumber(sum, x).hi;
  const sf = step < 0 ? 1 - prob : prob;
  return Math.min(Math.max(sf, 0), 1);
}
