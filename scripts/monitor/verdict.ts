// What the report says first: whether the dataset drifted (Evidently's
// share-of-drifted-columns rule), then, for each failed check, its likely
// reading and the next command, in plain words.

import type { Analysis } from './analyze.ts';
import type { CheckResult } from './checks.ts';
import { accuracy, pct, plural } from './numbers.ts';

export interface Action {
  /** The checks this action answers (their ids). */
  checks: string[];
  title: string;
  /** The likely reading of what failed. */
  reading: string;
  /** What to run or look at next. */
  next: string;
  /** A command to copy, when there is one. */
  command?: string;
}

export interface LabelFacts {
  labeled: number;
  simulated: number;
  fromDataset: number;
  /** Labels whose source was not recorded (ground truth not written by `rookery label`). */
  unknown: number;
}

function driftAction(a: Analysis, failed: CheckResult[]): Action | null {
  const driftCheck = failed.find((c) => c.id === 'drifted-columns');
  if (!driftCheck) return null;
  const drifted = a.drift.columns.filter((d) => d.drifted).map((d) => d.column);
  const means = failed.filter((c) => c.id.startsWith('mean:') && drifted.includes(c.id.slice(5)));
  const predictionsMoved = !('error' in a.predictionDrift) && a.predictionDrift.drifted;
  const columns = drifted.join(', ');
  const reading = predictionsMoved
    ? `${columns} shifted and the predicted classes moved with ${drifted.length === 1 ? 'it' : 'them'}: the model sees inputs unlike its training data and answers differently.`
    : `${columns} shifted while the predictions did not: the model's answers have not moved (yet), so the likely cause is upstream, a new source, unit or sensor for ${drifted.length === 1 ? 'that column' : 'those columns'}, rather than a change in the penguins.`;
  return {
    checks: [driftCheck.id, ...means.map((c) => c.id)],
    title: `${plural(drifted.length, 'column')} drifted (${pct(a.datasetDrift.share)} of the tested columns; the dataset drifts at ${pct(a.datasetDrift.threshold)})`,
    reading,
    next: predictionsMoved
      ? 'Check the upstream data first; if the shift is real, retrain on data that includes it and deploy the new version.'
      : 'Check the upstream data for these columns (units, a changed source, a broken sensor) before retraining: a model retrained on broken inputs learns them.',
    ...(predictionsMoved ? { command: 'npx rookery train --data NEW_DATA.csv' } : {}),
  };
}

function accuracyAction(a: Analysis, failed: CheckResult[], labels: LabelFacts, trainingAccuracy: number | null): Action | null {
  const check = failed.find((c) => c.id === 'accuracy');
  if (!check || 'error' in a.quality) return null;
  const scored = a.quality.labeledRows - a.quality.excludedRows;
  const training = trainingAccuracy === null ? '' : ` against ${accuracy(trainingAccuracy)} at training`;
  const simulated = labels.simulated
    ? ` ${plural(labels.simulated, 'label')} of ${labels.labeled} ${labels.simulated === 1 ? 'is' : 'are'} simulated ('rookery label' keeps the prediction at a set rate), so this figure measures the simulation, not the model; with real labels it would be the model's.`
    : '';
  return {
    checks: [check.id],
    title: `accuracy ${accuracy(a.quality.accuracy)} on ${plural(scored, 'labeled row')}, below ${check.condition.replace(/^≥ /, '')}`,
    reading: `The model is wrong more often than the threshold allows${training}.${simulated}`,
    next: 'Retrain on recent labeled data, check the new version clears the threshold, and deploy it.',
    command: 'npx rookery train --data NEW_LABELED_DATA.csv',
  };
}

const QUALITY_CHECKS = /^(columns|column-types|empty-rows|empty-columns|missing-share|values:|mean:)/;

function qualityAction(failed: CheckResult[], taken: Set<string>): Action | null {
  const rest = failed.filter((c) => QUALITY_CHECKS.test(c.id) && !taken.has(c.id));
  if (rest.length === 0) return null;
  return {
    checks: rest.map((c) => c.id),
    title: `data quality: ${rest.map((c) => c.name.charAt(0).toLowerCase() + c.name.slice(1)).join(', ')}`,
    reading: 'The captured requests do not look like the reference: columns missing or mistyped, more missing values, values outside the known list, or a mean moved past ±10%.',
    next: 'Check what sends the requests (the client, its schema, the upstream data) before touching the model.',
  };
}

/** One action per kind of failure, drift first; empty when every check passes. */
export function nextActions(a: Analysis, checks: CheckResult[], labels: LabelFacts, trainingAccuracy: number | null): Action[] {
  const failed = checks.filter((c) => c.status === 'fail');
  const actions: Action[] = [];
  for (const action of [driftAction(a, failed), accuracyAction(a, failed, labels, trainingAccuracy)]) if (action) actions.push(action);
  const quality = qualityAction(failed, new Set(actions.flatMap((x) => x.checks)));
  if (quality) actions.push(quality);
  return actions;
}
