import type { LoadedArtifact } from '../model/artifact.ts';
import type { FeatureRow } from '../model/dataset.ts';
import type { Prediction } from '../model/predictor.ts';
import { UserError } from '../model/user-error.ts';
import { LIMIT_SETTINGS } from './limits.ts';
import { answerFor, JSON_LINES_TYPES, predictionsBody, recordSteps, type Answer } from './batch-records.ts';
import { csvRequestSteps, jsonRequestSteps, parseContentType, TooManyRows, type MediaType } from './protocol.ts';
import { errorReply, type Reply } from './reply.ts';
import { runToEnd, type SliceScheduler, type Steps } from './steps.ts';

/** A request that was scored: what capture stores next to the reply. */
export interface Scored {
  mediaType: MediaType;
  rows: FeatureRow[];
  predictions: Prediction[];
  params: Record<string, unknown>;
}

export interface Invocation {
  reply: Reply;
  /** Set when the reply is 200. */
  scored?: Scored;
}

/** The media type, or the 415 reply for a content type the server does not take (JSON Lines only in `batch` mode). The server checks it before reading the body. */
export function mediaTypeOf(contentType: string | undefined, batch = false): MediaType | Reply {
  try {
    return parseContentType(contentType, batch ? JSON_LINES_TYPES : []);
  } catch (err) {
    if (err instanceof UserError) return errorReply(415, 'UNSUPPORTED_MEDIA_TYPE', err.message);
    throw err;
  }
}

/** Rows scored between yields (see steps.ts). */
const ROWS_PER_STEP = 512;

/** What one request may ask of the server, and how it is read. */
export interface InvocationOptions {
  /** Rows in one MLflow JSON or CSV-with-header request; past it a 413 naming the setting. Default: no limit. */
  maxRows?: number;
  /**
   * SageMaker Batch Transform mode (SAGEMAKER_BATCH=true): CSV (no header) and
   * JSON Lines bodies are records, one a line, answered a record per record in
   * the format `accept` asks for (batch-records.ts); the payload limit bounds them, not maxRows.
   */
  batch?: boolean;
  /** The request's Accept header, read in batch mode only: endpoints answer MLflow's JSON whatever it says. */
  accept?: string;
}

function* predictSteps(model: LoadedArtifact, rows: FeatureRow[]): Steps<Prediction[]> {
  if (rows.length <= ROWS_PER_STEP) return model.predictor.predictValid(rows);
  const predictions: Prediction[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STEP) {
    for (const p of model.predictor.predictValid(rows.slice(i, i + ROWS_PER_STEP))) predictions.push(p);
    // After the last chunk too: the answer (JSON.stringify of 10,000 predictions takes 2 ms) gets a slice of its own.
    yield;
  }
  return predictions;
}

/** invocations() in steps, for a body of a media type mediaTypeOf accepted: parsing and scoring yield every few hundred rows. */
function* invocationSteps(model: LoadedArtifact, body: string, mediaType: MediaType, options: InvocationOptions): Steps<Invocation> {
  let answer: Answer | undefined;
  if (options.batch) {
    const negotiated = answerFor(options.accept, mediaType);
    if (!('format' in negotiated)) return { reply: negotiated };
    answer = negotiated;
    if (mediaType !== 'application/json') {
      const records = yield* recordSteps(model, body, mediaType, answer, (rows) => predictSteps(model, rows));
      return { reply: records.reply, scored: { mediaType, rows: records.rows, predictions: records.predictions, params: {} } };
    }
  }
  const maxRows = options.maxRows ?? Infinity;
  try {
    const request = mediaType === 'text/csv' ? yield* csvRequestSteps(body, model.params.schema, maxRows) : yield* jsonRequestSteps(body, model.params.schema, maxRows);
    const predictions = yield* predictSteps(model, request.rows);
    // Finite but extreme inputs (1e308) can overflow the model's arithmetic; answer 400 rather than a null confidence.
    let overflowed: number[] | undefined;
    for (let i = 0; i < predictions.length; i++) if (!Number.isFinite(predictions[i].confidence)) (overflowed ??= []).push(i);
    if (overflowed) {
      throw new UserError(`invalid input: ${overflowed.slice(0, 10).map((i) => `row ${i}`).join(', ')}: the values are too far out of range to score`);
    }
    return {
      reply: answer ? { status: 200, contentType: answer.contentType, body: predictionsBody(predictions, answer) } : { status: 200, contentType: 'application/json', body: JSON.stringify({ predictions }) },
      scored: { mediaType, rows: request.rows, predictions, params: request.params },
    };
  } catch (err) {
    if (err instanceof TooManyRows) {
      const setting = LIMIT_SETTINGS.maxRows;
      return {
        reply: errorReply(413, 'REQUEST_ENTITY_TOO_LARGE', `${err.message}; the limit is ${err.limit} rows per request (${setting}): send fewer rows per request, or raise ${setting}`),
      };
    }
    if (err instanceof UserError) return { reply: errorReply(400, 'BAD_REQUEST', err.message) };
    throw err;
  }
}

/**
 * The scoring protocol as one pure function, as MLflow's scoring server has it
 * (`invocations(data, content_type, model)`): the body and its Content-Type
 * header in, the reply out; no I/O and no HTTP objects. Input the client can
 * fix is a 400 (415 for the content type, 413 past the row limit); anything
 * else thrown is a bug.
 */
export function invocations(model: LoadedArtifact, body: string, contentType: string | undefined, options: InvocationOptions = {}): Invocation {
  const mediaType = mediaTypeOf(contentType, options.batch);
  return typeof mediaType === 'string' ? runToEnd(invocationSteps(model, body, mediaType, options)) : { reply: mediaType };
}

/**
 * Bodies at least this long (about 6,000 rows of MLflow JSON) wait for the
 * scheduler's place before they are parsed: parsing and building their rows
 * outlast a slice, and a request waiting half-done holds all of them.
 */
export const LARGE_BODY_CHARS = 256 * 1024;

/**
 * invocations(), the same steps, run by the scheduler: other requests get
 * turns between slices (the server's path). The server has the media type
 * from mediaTypeOf already: it answers 415 before reading the body.
 */
export function invocationsSliced(scheduler: SliceScheduler, model: LoadedArtifact, body: string, mediaType: MediaType, options: InvocationOptions = {}): Promise<Invocation> {
  return scheduler.run(invocationSteps(model, body, mediaType, options), body.length >= LARGE_BODY_CHARS);
}
