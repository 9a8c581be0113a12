import { score } from '../format.ts';

/** Number formatting shared by the text summary and the HTML report, so both show the same figures. */
export function num(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '−∞';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}

/** A share as a percentage with one decimal. */
export function pct(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  return `${(x * 100).toFixed(1)}%`;
}

/** "1 row", "2 rows": a count and its noun, singular only for exactly one. */
export function plural(count: number, noun: string, plural = `${noun}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? noun : plural}`;
}

/** Accuracy in the checks, the report and the next steps: the training report's and the CLI's four decimals (format.ts). */
export const accuracy = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '–' : score(x));
