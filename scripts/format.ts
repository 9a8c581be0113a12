import type { Evaluation } from '../model/train.ts';

/** A fixed-width text table: the CLI's one way of printing rows. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

const f3 = (x: number) => x.toFixed(3);

export function formatEvaluation(e: Evaluation): string {
  const { report } = e;
  return [
    `cross-validated accuracy: ${f3(e.accuracyMean)} ± ${f3(e.accuracyStd)} (folds: ${e.folds.map((f) => f3(f.accuracy)).join(', ')})`,
    '',
    table(
      ['class', 'precision', 'recall', 'f1', 'support'],
      report.perClass.map((c) => [c.class, f3(c.precision), f3(c.recall), f3(c.f1), c.support]),
    ),
    '',
    'confusion matrix (rows: true class, columns: predicted)',
    table(['', ...report.classes], report.classes.map((c, i) => [c, ...report.confusion[i]])),
  ].join('\n');
}
