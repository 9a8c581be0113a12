import { parseCaptureUri } from '../../container/capture/open.ts';
import { loadDataset } from '../../model/dataset.ts';
import { loadSchema, type Schema } from '../../model/schema.ts';
import { UserError } from '../../model/user-error.ts';
import { assertFolderLocation } from '../monitor/locations.ts';
import { openBlobStore } from '../store/open.ts';
import { labelJsonl, type JsonlLabelCounts } from './jsonl.ts';
import { labelSqlite, type LabelOptions } from './sqlite.ts';
import type { LabelCounts } from './truth.ts';

/** What `rookery label` uses when its flags leave a figure out. */
export const LABEL_DEFAULTS = { accuracy: 0.9, seed: 42 } as const;

export interface LabelRequest extends LabelOptions {
  datastore: string;
  groundTruth?: string;
  dataPath: string;
  schemaPath: string;
  /** The model's schema (from its artifact); when set, schemaPath is not read. */
  schema?: Schema;
}

/** Labels a SQLite capture table in place, or writes ground-truth files for JSON Lines captures; prints what it did. */
export async function runLabel(request: LabelRequest, out: (line: string) => void): Promise<LabelCounts | JsonlLabelCounts> {
  const schema = request.schema ?? loadSchema(request.schemaPath);
  const data = loadDataset(request.dataPath, schema, { requireTarget: true });
  const options = { accuracy: request.accuracy, seed: request.seed };
  const uri = request.datastore.trim();
  if (uri.startsWith('sqlite://')) {
    let path: string;
    try {
      const location = parseCaptureUri(uri);
      if (location.kind !== 'sqlite') throw new Error(`${uri} is not a sqlite:/// location`);
      path = location.path;
    } catch (err) {
      throw new UserError(`--datastore: ${(err as Error).message}`, { exitCode: 2 });
    }
    const counts = labelSqlite(path, data, options);
    out(describe(counts, `${path}`, schema.target.name));
    return counts;
  }
  if (!request.groundTruth) {
    throw new UserError(`--ground-truth is required for ${uri}: labels for JSON Lines captures are written as Model Monitor ground truth files there (e.g. --ground-truth file:///tmp/ground-truth)`, { exitCode: 2 });
  }
  assertFolderLocation(uri, '--datastore');
  assertFolderLocation(request.groundTruth, '--ground-truth');
  const counts = await labelJsonl(await openBlobStore(uri), await openBlobStore(request.groundTruth), data, options);
  out(describe(counts, uri, schema.target.name));
  if (counts.unreadable) out(`${counts.unreadable} captured records could not be read and got no label ('rookery monitor' lists why)`);
  if (counts.written) out(`wrote ${counts.records} ground truth records to ${request.groundTruth.replace(/\/+$/, '')}/${counts.written}`);
  return counts;
}

function describe(c: LabelCounts, where: string, target: string): string {
  if (c.labeled === 0) return `nothing to label in ${where}: ${c.alreadyLabeled} rows already have ground truth`;
  return `labeled ${c.labeled} rows in ${where}: ${c.fromDataset} with the true ${target} of a matching dataset row, ${c.simulated} simulated from the prediction; ${c.alreadyLabeled} already labeled rows left alone`;
}
