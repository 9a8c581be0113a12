// The accuracy gate's verdict in words: what `rookery train` prints when it
// refuses a model and what the training report says under "Decision".
import { score } from '../format.ts';

export interface ThresholdDecision {
  accuracy: number;
  threshold: number;
  /** The mean cross-validated accuracy is at least the threshold. */
  passed: boolean;
  /** What this run does with the model: registers it, refuses to, or leaves registering to a later step (`--no-register`). */
  outcome: 'register' | 'reject' | 'leave';
  /** One sentence: the figures compared and what follows from them. */
  reason: string;
}

export function thresholdDecision(accuracy: number, threshold: number, target: { register: boolean; modelName: string; alias: string | null }): ThresholdDecision {
  const passed = accuracy >= threshold;
  const compared = `cross-validated accuracy ${score(accuracy)} ${passed ? 'meets' : 'is below'} the threshold ${threshold}`;
  if (!target.register) {
    const later = passed ? '`rookery models register --from RESULT` (the pipeline\'s next step) may register it' : 'a later `rookery models register` will refuse it';
    return { accuracy, threshold, passed, outcome: 'leave', reason: `${compared}; not registered (--no-register): ${later}` };
  }
  if (!passed) return { accuracy, threshold, passed, outcome: 'reject', reason: `${compared}: the model was not registered` };
  const alias = target.alias ? ` and alias ${target.alias} moved to it` : '';
  return { accuracy, threshold, passed, outcome: 'register', reason: `${compared}: registered as a new version of ${target.modelName}${alias}` };
}
