export interface ClassMetrics {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  accuracy: number;
  perClass: ClassMetrics[];
  /** confusion[true][predicted], in the order of `classes`. */
  confusion: number[][];
  classes: string[];
}

/** Accuracy, per-class precision/recall/F1 (0 where undefined, as scikit-learn's zero_division=0) and the confusion matrix. */
export function classificationReport(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: string[]): ClassificationReport {
  if (truth.length !== predicted.length) throw new Error(`truth has ${truth.length} labels but predictions ${predicted.length}`);
  const k = classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]][predicted[i]]++;
    if (truth[i] === predicted[i]) correct++;
  }
  const perClass = classes.map((name, c) => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predictedCount ? tp / predictedCount : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { class: name, precision, recall, f1, support };
  });
  return { accuracy: truth.length ? correct / truth.length : 0, perClass, confusion, classes: [...classes] };
}

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Population standard deviation (numpy's default), as the course reports fold spread. */
export function std(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length);
}
