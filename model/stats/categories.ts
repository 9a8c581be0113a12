// Category counting shared by the categorical drift tests. Categories are
// listed in a fixed order (numbers ascending, then strings by code point, as
// Python sorts them) so results do not depend on the order rows arrive in.

export type Category = string | number;

export interface CategoryCounts<K extends Category> {
  categories: K[];
  reference: number[];
  current: number[];
}

function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done || cb.done) return (ca.done ? 0 : 1) - (cb.done ? 0 : 1);
    const diff = (ca.value.codePointAt(0) ?? 0) - (cb.value.codePointAt(0) ?? 0);
    if (diff !== 0) return diff;
  }
}

function compareCategories(a: Category, b: Category): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return compareCodePoints(a, b);
}

function tally<K extends Category>(values: ArrayLike<K>, fn: string, name: string): Map<K, number> {
  if (values.length === 0) throw new RangeError(`${fn}: ${name} is empty; it needs at least one value`);
  const counts = new Map<K, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) {
      throw new RangeError(
        `${fn}: ${name}[${i}] is ${String(v)}; categories must be strings or finite numbers (drop missing values first)`,
      );
    }
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

/** Counts per category over the union of categories seen in either sample. */
export function countCategories<K extends Category>(
  reference: ArrayLike<K>,
  current: ArrayLike<K>,
  fn: string,
): CategoryCounts<K> {
  const ref = tally(reference, fn, 'reference');
  const cur = tally(current, fn, 'current');
  const categories = [...new Set([...ref.keys(), ...cur.keys()])].sort(compareCategories);
  return {
    categories,
    reference: categories.map((c) => ref.get(c) ?? 0),
    current: categories.map((c) => cur.get(c) ?? 0),
  };
}
