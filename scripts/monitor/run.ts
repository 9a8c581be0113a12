import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSchema, type Schema } from '../../model/schema.ts';
import { UserError } from '../command.ts';
import { table } from '../format.ts';
import { analyze, type Analysis } from './analyze.ts';
import { openCaptureReader, type CaptureColumns, type SkippedRecords } from './capture-reader.ts';
import { runChecks, type CheckResult } from './checks.ts';
import { loadReference } from './reference.ts';
import { describeWriteError, ensureOutDir } from './locations.ts';
import { renderReport } from './render-html.ts';
import { THRESHOLDS, type Thresholds } from './thresholds.ts';

export interface MonitorRequest {
  datastore: string;
  groundTruth?: string;
  referencePath: string;
  schemaPath: string;
  /** The model's schema (from its artifact); when set, schemaPath is not read. */
  schema?: Schema;
  /** The most recent N captured rows (default: all). */
  samples?: number;
  outDir: string;
  now?: Date;
}

/** Everything the report shows, as written to summary.json. */
export interface MonitorSummary {
  version: 1;
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
  features: { name: string; kind: 'numeric' | 'categorical' }[];
  target: { name: string; classes: string[] };
  thresholds: Thresholds;
  checks: CheckResult[];
  analysis: Analysis;
}

export interface MonitorOutcome {
  summary: MonitorSummary;
  htmlPath: string;
  jsonPath: string;
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

export function summarize(schema: Schema, request: MonitorRequest, current: CaptureColumns, referenceRows: number, analysis: Analysis, now: Date): MonitorSummary {
  const checks = runChecks(schema, analysis, { reference: referenceRows, current: current.size });
  const failed = checks.filter((c) => c.status === 'fail').length;
  const skipped = checks.filter((c) => c.status === 'skipped').length;
  let labeled = 0;
  for (const l of current.label) if (l !== null) labeled++;
  return {
    version: 1,
    generatedAt: now.toISOString(),
    status: failed ? 'fail' : 'pass',
    counts: { checks: checks.length, passed: checks.length - failed - skipped, failed, skipped },
    inputs: { datastore: request.datastore, groundTruth: request.groundTruth ?? null, reference: request.referencePath, samples: request.samples ?? null },
    current: {
      rows: current.size,
      records: current.records ?? null,
      labeledRows: labeled,
      ...timeRange(current.time),
      skippedRecords: current.skipped,
      unmatchedLabels: current.unmatchedLabels ?? null,
    },
    reference: { rows: referenceRows },
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

/** Reads the captures and reference, computes every figure and check, and writes report.html and summary.json into the output folder. */
export async function runMonitor(request: MonitorRequest): Promise<MonitorOutcome> {
  const schema = request.schema ?? loadSchema(request.schemaPath);
  // Before any reading: a report folder that cannot be made fails in a moment, not after the whole analysis.
  const outDir = ensureOutDir(request.outDir);
  const reference = loadReference(request.referencePath, schema);
  const reader = await openCaptureReader(request.datastore);
  const current = await reader.read(schema, { ...(request.samples !== undefined ? { samples: request.samples } : {}), ...(request.groundTruth ? { groundTruth: request.groundTruth } : {}) });
  const analysis = analyze(schema, reference, current);
  const summary = summarize(schema, request, current, reference.size, analysis, request.now ?? new Date());
  const htmlPath = join(outDir, 'report.html');
  const jsonPath = join(outDir, 'summary.json');
  for (const [path, text] of [[jsonPath, summaryJson(summary)], [htmlPath, renderReport(summary)]]) {
    try {
      writeFileSync(path, text);
    } catch (err) {
      throw new UserError(`--out ${request.outDir}: cannot write ${path} (${describeWriteError(err)}); pass --out a folder you can write, e.g. --out reports`);
    }
  }
  return { summary, htmlPath, jsonPath };
}

const MARK = { pass: 'PASS', fail: 'FAIL', skipped: 'SKIP' } as const;

/** The checks as a text table, then what was read and where the report is. */
export function formatOutcome(o: MonitorOutcome): string {
  const s = o.summary;
  const lines = [
    `read ${s.current.rows} captured rows${s.current.records !== null ? ` (${s.current.records} records)` : ''} from ${s.inputs.datastore}, ${s.current.labeledRows} labeled; reference: ${s.reference.rows} rows of ${s.inputs.reference}`,
  ];
  for (const k of s.current.skippedRecords) lines.push(`skipped ${k.count} captured records: ${k.reason} (e.g. ${k.examples.slice(0, 2).join(', ')})`);
  lines.push('', table(['', 'check', 'value', 'condition'], s.checks.map((c) => [MARK[c.status], c.name, c.value, c.condition])), '');
  lines.push(`${s.counts.failed} of ${s.counts.checks} checks failed${s.counts.skipped ? `, ${s.counts.skipped} skipped` : ''}`);
  lines.push(`report:  ${o.htmlPath}`, `summary: ${o.jsonPath}`);
  return lines.join('\n');
}
