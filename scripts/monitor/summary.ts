import type { Schema } from '../../model/schema.ts';
import type { Analysis } from './analyze.ts';
import { LABEL_SOURCE, type CaptureColumns, type SkippedRecords } from './capture-reader.ts';
import { runChecks, type CheckResult } from './checks.ts';
import type { MonitoredModel } from './model.ts';
import { nextActions, type Action, type LabelFacts } from './verdict.ts';
import { THRESHOLDS, type Thresholds } from './thresholds.ts';

/** Everything the report shows, as written to summary.json. */
export interface MonitorSummary {
  version: 2;
  generatedAt: string;
  status: 'pass' | 'fail';
  counts: { checks: number; passed: number; failed: number; skipped: number };
  inputs: { datastore: string; groundTruth: string | null; reference: string; samples: number | null };
  current: {
    rows: number;
    records: number | null;
    labeledRows: number;
    from: string | null;
    to: string | null;
    skippedRecords: SkippedRecords[];
    unmatchedLabels: number | null;
  };
  reference: { rows: number };
  /** The model that made the predictions, when the caller named it (captures do not record it). */
  model: MonitoredModel | null;
  /** How many of the labels `rookery label` simulated, took from the dataset, or did not write. */
  labels: LabelFacts;
  /** The dataset-level verdict the report opens with, and one next step per kind of failure. */
  verdict: { datasetDrift: Analysis['datasetDrift']; actions: Action[] };
  features: { name: string; kind: 'numeric' | 'categorical' }[];
  target: { name: string; classes: string[] };
  thresholds: Thresholds;
  checks: CheckResult[];
  analysis: Analysis;
}


function timeRange(time: Float64Array): { from: string | null; to: string | null } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < time.length; i++) {
    const t = time[i];
    if (Number.isNaN(t)) continue;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return Number.isFinite(min) ? { from: new Date(min).toISOString(), to: new Date(max).toISOString() } : { from: null, to: null };
}

/** What the summary records of the request: where the data came from. */
export interface SummaryInputs {
  datastore: string;
  groundTruth?: string;
  referencePath: string;
  samples?: number;
  model?: MonitoredModel;
}

function labelFacts(current: CaptureColumns): LabelFacts {
  const facts: LabelFacts = { labeled: 0, simulated: 0, fromDataset: 0, unknown: 0 };
  for (let i = 0; i < current.size; i++) {
    if (current.label[i] === null) continue;
    facts.labeled++;
    const source = current.labelSource[i];
    if (source === LABEL_SOURCE.simulated) facts.simulated++;
    else if (source === LABEL_SOURCE.dataset) facts.fromDataset++;
    else facts.unknown++;
  }
  return facts;
}

export function summarize(schema: Schema, request: SummaryInputs, current: CaptureColumns, referenceRows: number, analysis: Analysis, now: Date): MonitorSummary {
  const checks = runChecks(schema, analysis, { reference: referenceRows, current: current.size });
  const failed = checks.filter((c) => c.status === 'fail').length;
  const skipped = checks.filter((c) => c.status === 'skipped').length;
  const labels = labelFacts(current);
  const model = request.model ?? null;
  return {
    version: 2,
    generatedAt: now.toISOString(),
    status: failed ? 'fail' : 'pass',
    counts: { checks: checks.length, passed: checks.length - failed - skipped, failed, skipped },
    inputs: { datastore: request.datastore, groundTruth: request.groundTruth ?? null, reference: request.referencePath, samples: request.samples ?? null },
    current: {
      rows: current.size,
      records: current.records ?? null,
      labeledRows: labels.labeled,
      ...timeRange(current.time),
      skippedRecords: current.skipped,
      unmatchedLabels: current.unmatchedLabels ?? null,
    },
    reference: { rows: referenceRows },
    model,
    labels,
    verdict: { datasetDrift: analysis.datasetDrift, actions: nextActions(analysis, checks, labels, model?.trainingAccuracy ?? null) },
    features: schema.features.map((f) => ({ name: f.name, kind: f.type })),
    target: { name: schema.target.name, classes: [...schema.target.classes] },
    thresholds: { ...THRESHOLDS },
    checks,
    analysis,
  };
}

/** Infinity (a chi-square against an unseen category) has no JSON form: written as null, as JSON.stringify does, and said in the report. */
export function summaryJson(summary: MonitorSummary): string {
  return `${JSON.stringify(summary, null, 1)}\n`;
}
