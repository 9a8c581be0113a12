import type { Evaluation } from '../model/train.ts';

/** A fixed-width text table: the CLI's one way of printing rows. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

/** Accuracy, precision, recall, F1 and their spread: four decimals wherever they are shown (terminal, reports, messages). */
export const score = (x: number) => x.toFixed(4);

export function formatEvaluation(e: Evaluation): string {
  const { report } = e;
  return [
    `cross-validated accuracy: ${score(e.accuracyMean)} ± ${score(e.accuracyStd)} (folds: ${e.folds.map((f) => score(f.accuracy)).join(', ')})`,
    '',
    table(
      ['class', 'precision', 'recall', 'f1', 'support'],
      report.perClass.map((c) => [c.class, score(c.precision), score(c.recall), score(c.f1), c.support]),
    ),
    '',
    'confusion matrix (rows: true class, columns: predicted)',
    table(['', ...report.classes], report.classes.map((c, i) => [c, ...report.confusion[i]])),
  ].join('\n');
}
