import type { FeatureRow } from '../../model/dataset.ts';
import { ADDED_COLUMNS, textPieces, type ScoreJob } from './job.ts';

const encoder = new TextEncoder();
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Complete lines of the input with their 1-based numbers, a batch per piece read. */
async function* lineBatches(job: ScoreJob): AsyncGenerator<{ line: number; text: string }[]> {
  let pending = '';
  let line = 0;
  for await (const piece of textPieces(job)) {
    pending += piece;
    const cut = pending.lastIndexOf('\n');
    if (cut < 0) continue;
    const lines = pending.slice(0, cut).split('\n');
    pending = pending.slice(cut + 1);
    yield lines.map((text) => ({ line: ++line, text }));
  }
  if (pending) yield [{ line: ++line, text: pending }];
}

/**
 * JSON Lines in, JSON Lines out: each object line as it was, with prediction
 * and confidence appended (an input key of the same name is replaced). Blank lines are skipped.
 */
export async function scoreJsonl(job: ScoreJob): Promise<void> {
  const { scorer } = job;
  let row = 0;
  for await (const lines of lineBatches(job)) {
    job.signal.throwIfAborted();
    const firstRow = row;
    const objects: Record<string, unknown>[] = [];
    const kept: { row: number; line: number; text: string }[] = [];
    for (const { line, text } of lines) {
      const trimmed = text.trim();
      if (trimmed === '') continue;
      row++;
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch (err) {
        scorer.reject({ row, line, reason: `malformed JSON: ${(err as Error).message}`, input: trimmed });
        continue;
      }
      if (!isObject(value)) {
        scorer.reject({ row, line, reason: `expected a JSON object with the feature columns, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`, input: value });
        continue;
      }
      objects.push(value);
      kept.push({ row, line, text: trimmed });
    }
    const problems = scorer.problems(objects);
    const valid: FeatureRow[] = [];
    const at: number[] = [];
    for (let i = 0; i < objects.length; i++) {
      const problem = problems.get(i);
      if (problem) scorer.reject({ row: kept[i].row, line: kept[i].line, reason: problem, input: objects[i] });
      else {
        valid.push(objects[i] as FeatureRow);
        at.push(i);
      }
    }
    const scored = scorer.predict(valid, (i) => ({ row: kept[at[i]].row, line: kept[at[i]].line, input: objects[at[i]] }));
    let out = '';
    for (let i = 0; i < scored.length; i++) {
      const s = scored[i];
      if (!s) continue;
      const object = objects[at[i]];
      if (ADDED_COLUMNS.some((c) => c in object)) {
        out += JSON.stringify({ ...object, ...s }) + '\n';
        continue;
      }
      // The line's own text, so numbers and key order stay exactly as written.
      const text = kept[at[i]].text;
      const body = text.slice(0, text.lastIndexOf('}'));
      out += `${body}${Object.keys(object).length ? ',' : ''}"prediction":${JSON.stringify(s.prediction)},"confidence":${s.confidence}}\n`;
    }
    await scorer.endBatch(row - firstRow);
    if (out) await job.output.write(encoder.encode(out));
  }
}
