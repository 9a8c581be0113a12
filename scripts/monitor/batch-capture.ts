import { recordLineReader } from '../../container/batch-records.ts';
import type { FeatureRow } from '../../model/dataset.ts';
import type { Schema } from '../../model/schema.ts';
import type { BlobStore } from '../store/blob-store.ts';
import { openBlobStore } from '../store/open.ts';
import { jsonlLines, parseCaptureLine, splitCsvLine, type RecordOutcome } from './sagemaker-records.ts';

/**
 * SageMaker Batch Transform's Data Capture. Under the job's DestinationS3Uri,
 * `input/yyyy/mm/dd/hh/` and `output/yyyy/mm/dd/hh/` hold manifests, not
 * copies of the records ("to avoid data duplication", AWS's "Capture data from
 * batch transform job"): a JSON list, `{"prefix": "s3://..."}` then keys
 * relative to it, naming the job's input objects and its `<input>.out` output
 * objects. A captured record is an input line and the output line at the same
 * place (AssembleWith=Line keeps them in step); each is one row.
 */

/** `[root]input|output/yyyy/mm/dd/hh/NAME`: the hour is when the manifest was written. */
const MANIFEST_KEY = /^(.*?)(input|output)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/([^/]+)$/;


interface Manifest {
  key: string;
  /** The capture root and hour folder it shares with its counterpart (`input/` or `output/` left out). */
  hour: string;
  name: string;
  time: number;
  prefix: string;
  entries: string[];
}

/** An object a manifest names: the manifest's prefix and the key under it. */
interface ObjectRef {
  prefix: string;
  key: string;
}

interface ObjectPair {
  input: ObjectRef;
  output: ObjectRef;
  time: number;
}

/** An input manifest with its keys as a set: a job over a prefix of many objects names each once. */
type InputManifest = Manifest & { keys: Set<string> };

/** A manifest's `{"prefix": ...}` and relative keys, or undefined if the text is not one. */
export function parseManifest(text: string): { prefix: string; entries: string[] } | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const head = raw[0] as { prefix?: unknown };
  if (typeof head !== 'object' || head === null || typeof head.prefix !== 'string') return undefined;
  const entries = raw.slice(1).filter((e): e is string => typeof e === 'string');
  return { prefix: head.prefix.replace(/\/?$/, '/'), entries };
}

async function readManifests(store: BlobStore, keys: string[]): Promise<{ inputs: InputManifest[]; outputs: Manifest[]; unreadable: string[] }> {
  const inputs: InputManifest[] = [];
  const outputs: Manifest[] = [];
  const unreadable: string[] = [];
  for (const key of keys) {
    const [, root, side, y, m, d, h, name] = MANIFEST_KEY.exec(key)!;
    const parsed = parseManifest((await store.read(key)).toString('utf8'));
    if (!parsed) {
      unreadable.push(key);
      continue;
    }
    const manifest = { key, hour: `${root}${y}/${m}/${d}/${h}`, name, time: Date.UTC(+y, +m - 1, +d, +h), ...parsed };
    if (side === 'input') inputs.push({ ...manifest, keys: new Set(manifest.entries) });
    else outputs.push(manifest);
  }
  return { inputs, outputs, unreadable };
}

/**
 * The input object each output object scored: `<rel>.out` under an output
 * manifest's prefix came from `<rel>` under an input manifest's prefix. AWS
 * does not document how a job's two manifests are named, so the input
 * manifest of the same name in the same hour is tried first, then that hour's
 * others, then any; a prefix scored by several jobs holds the same names.
 */
function pairObjects(inputs: InputManifest[], outputs: Manifest[]): ObjectPair[] {
  const pairs: ObjectPair[] = [];
  for (const out of outputs) {
    const candidates = [
      ...inputs.filter((i) => i.hour === out.hour && i.name === out.name),
      ...inputs.filter((i) => i.hour === out.hour && i.name !== out.name),
      ...inputs.filter((i) => i.hour !== out.hour),
    ];
    for (const entry of out.entries) {
      if (!entry.endsWith('.out')) continue;
      const rel = entry.slice(0, -'.out'.length);
      const source = candidates.find((i) => i.keys.has(rel));
      if (source) pairs.push({ input: { prefix: source.prefix, key: rel }, output: { prefix: out.prefix, key: entry }, time: out.time });
    }
  }
  return pairs;
}

/** Reads objects a manifest names, one store per manifest prefix. */
class Objects {
  private readonly stores = new Map<string, Promise<BlobStore>>();

  async read({ prefix, key }: ObjectRef): Promise<string> {
    let store = this.stores.get(prefix);
    if (!store) this.stores.set(prefix, (store = openBlobStore(prefix)));
    return (await (await store).read(key)).toString('utf8');
  }
}

const nonBlankLines = (text: string) =>
  text
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
    .filter((l) => l.trim() !== '');

/** One answer line of the serving program (the job's Accept is its input's type): its prediction, an error, or the CSV answer's header. */
function readAnswer(line: string): { prediction: string; confidence: number | null } | { error: string } | 'header' {
  if (line.trimStart().startsWith('{')) {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line);
    } catch {
      return { error: 'output line is not JSON' };
    }
    if (typeof value.error === 'string') return { error: value.error };
    if (typeof value.prediction !== 'string') return { error: 'output line has no prediction' };
    return { prediction: value.prediction, confidence: typeof value.confidence === 'number' ? value.confidence : null };
  }
  const [prediction = '', confidence = '', error = ''] = splitCsvLine(line);
  if (prediction === 'prediction' && confidence === 'confidence') return 'header';
  if (error) return { error };
  if (!prediction) return { error: 'output line has no prediction' };
  const c = Number(confidence);
  return { prediction, confidence: confidence !== '' && Number.isFinite(c) ? c : null };
}

/** The records of one scored object: each input line with its answer line. */
function* pairRecords(inputText: string, outputText: string, output: string, time: number, schema: Schema): Generator<{ key: string; outcome: RecordOutcome }> {
  const inputLines = nonBlankLines(inputText);
  const outputLines = nonBlankLines(outputText);
  if (inputLines.length !== outputLines.length) {
    yield { key: output, outcome: { ok: false, reason: 'batch output has a different number of lines than its input', id: output } };
    return;
  }
  const reader = recordLineReader(schema, inputLines[0]?.trimStart().startsWith('{') || inputLines[0]?.trimStart().startsWith('[') ? 'application/jsonlines' : 'text/csv');
  for (let i = 0; i < inputLines.length; i++) {
    const eventId = `${output}:${i + 1}`;
    const answer = readAnswer(outputLines[i]);
    const row: FeatureRow = {};
    const problem = reader(inputLines[i], row);
    if (problem === 'header' && answer === 'header') continue;
    if (answer === 'header' || problem === 'header') {
      yield { key: output, outcome: { ok: false, reason: 'batch output is not in step with its input', id: eventId } };
      return;
    }
    if ('error' in answer) {
      yield { key: output, outcome: { ok: false, reason: 'record the model server answered with an error', id: eventId } };
      continue;
    }
    if (problem) {
      yield { key: output, outcome: { ok: false, reason: 'input is not a request the model accepts', id: eventId } };
      continue;
    }
    yield { key: output, outcome: { ok: true, record: { eventId, time, rows: [row], predictions: [answer] } } };
  }
}

/** Every Batch Transform record the manifests under `keys` name; an object that cannot be read is one skipped record with the reason. */
export async function* batchCaptureRecords(store: BlobStore, keys: string[], schema: Schema): AsyncGenerator<{ key: string; outcome: RecordOutcome }> {
  const { inputs, outputs, unreadable } = await readManifests(store, keys);
  for (const key of unreadable) yield { key, outcome: { ok: false, reason: 'not a Batch Transform capture manifest', id: key } };
  const objects = new Objects();
  for (const pair of pairObjects(inputs, outputs)) {
    const output = pair.output.prefix + pair.output.key;
    let texts: [string, string];
    try {
      texts = await Promise.all([objects.read(pair.input), objects.read(pair.output)]);
    } catch (err) {
      yield { key: output, outcome: { ok: false, reason: 'an object a batch capture manifest names cannot be read', id: `${output} (${(err as Error).message})` } };
      continue;
    }
    yield* pairRecords(texts[0], texts[1], output, pair.time, schema);
  }
}

/**
 * Every captured record under the store: SageMaker Data Capture JSON Lines
 * (an endpoint's, or the server's own sink) and Batch Transform manifests,
 * in one listing.
 */
export async function* captureRecords(store: BlobStore, schema: Schema): AsyncGenerator<{ key: string; outcome: RecordOutcome }> {
  const manifests: string[] = [];
  for await (const { key, line } of jsonlLines(store, (other) => MANIFEST_KEY.test(other) && manifests.push(other))) {
    yield { key, outcome: parseCaptureLine(line, schema) };
  }
  if (manifests.length) yield* batchCaptureRecords(store, manifests, schema);
}
