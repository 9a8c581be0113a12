// mostRecent: newest rows first, ties in their read order, the same whether
// the rows were read in time order (no sort needed) or not.
import { describe, expect, it } from 'vitest';
import { ColumnBuilder, mostRecent } from '../../scripts/monitor/capture-reader.ts';
import { createRandom } from '../../model/random.ts';
import { schema } from './fixtures.ts';

function columnsAt(times: number[]) {
  const builder = new ColumnBuilder(schema);
  times.forEach((t, i) => builder.add(`p${i}`, null, null, t));
  return builder.finish('test');
}

/** The order the rule defines, spelled out: by time descending, then read order, unknown times last. */
function expectedOrder(times: number[]): string[] {
  return times
    .map((t, i) => ({ t, i }))
    .sort((a, b) => (Number.isNaN(a.t) ? 1 : 0) - (Number.isNaN(b.t) ? 1 : 0) || (Number.isNaN(a.t) ? 0 : b.t - a.t) || a.i - b.i)
    .map(({ i }) => `p${i}`);
}

describe('mostRecent', () => {
  const random = createRandom(3);
  const ascending = Array.from({ length: 500 }, (_, i) => Math.floor(i / 7) * 1000);
  const shuffled = ascending.map((t) => t + Math.floor(random() * 5) * 1000).sort(() => random() - 0.5);
  const unknown = [...ascending.slice(0, 50), Number.NaN, ...ascending.slice(50, 80)];

  for (const [name, times] of [['rows read in time order', ascending], ['rows in any order', shuffled], ['some times unknown', unknown]] as const) {
    it(`${name}: newest first, ties in read order`, () => {
      expect(mostRecent(columnsAt([...times]), undefined).prediction).toEqual(expectedOrder([...times]));
      expect(mostRecent(columnsAt([...times]), 20).prediction).toEqual(expectedOrder([...times]).slice(0, 20));
    });
  }
});
