// Input checks shared by the drift statistics. Every message names the
// function, the argument and the offending position, because these run inside
// a report over many columns and the caller needs to find the bad one.

export function requireNonEmpty(values: ArrayLike<number>, fn: string, name: string): void {
  if (values.length === 0) throw new RangeError(`${fn}: ${name} is empty; it needs at least one value`);
}

export function requireFinite(values: ArrayLike<number>, fn: string, name: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(
        `${fn}: ${name}[${i}] is ${String(v)}; drift statistics need finite numbers (drop missing values first)`,
      );
    }
  }
}

/** A validated, ascending copy; the caller's array is left untouched. */
export function sortedSample(values: ArrayLike<number>, fn: string, name: string): Float64Array {
  requireNonEmpty(values, fn, name);
  requireFinite(values, fn, name);
  return Float64Array.from(values).sort();
}

/** Non-negative finite weights (counts or proportions) with a positive total. */
export function requireWeights(values: ArrayLike<number>, fn: string, name: string): number {
  requireNonEmpty(values, fn, name);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`${fn}: ${name}[${i}] is ${String(v)}; expected a finite number >= 0`);
    }
    total += v;
  }
  if (total === 0) throw new RangeError(`${fn}: ${name} sums to 0; it needs at least one positive entry`);
  return total;
}

export function requireSameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>, fn: string, names: string): void {
  if (a.length !== b.length) {
    throw new RangeError(`${fn}: ${names} must have the same length (got ${a.length} and ${b.length})`);
  }
}
