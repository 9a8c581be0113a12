import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSchema, type Schema } from '../../model/schema.ts';
import { UserError } from '../../model/user-error.ts';
import { table } from '../format.ts';
import { analyze } from './analyze.ts';
import { describeWriteError, ensureOutDir } from './locations.ts';
import { checksMarkdown } from './markdown.ts';
import type { MonitoredModel } from './model.ts';
import { openCaptureReader } from './open-reader.ts';
import { loadReference } from './reference.ts';
import { renderReport } from './render-html.ts';
import { summarize, summaryJson, type MonitorSummary } from './summary.ts';

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
  /** Also append the checks as a Markdown table to this file (a CI job summary: appended, not replaced). */
  markdownPath?: string;
  /** The model that made the predictions, for the report (captures do not record it). */
  model?: MonitoredModel;
  now?: Date;
}

export interface MonitorOutcome {
  summary: MonitorSummary;
  htmlPath: string;
  jsonPath: string;
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
  if (request.markdownPath) {
    try {
      appendFileSync(request.markdownPath, checksMarkdown(summary, htmlPath));
    } catch (err) {
      throw new UserError(`--summary-markdown ${request.markdownPath}: cannot write it (${describeWriteError(err)})`);
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
