import type { LoadedArtifact } from '../model/artifact.ts';
import type { FeatureRow } from '../model/dataset.ts';
import type { Prediction } from '../model/predictor.ts';
import { UserError } from '../model/user-error.ts';
import { LIMIT_SETTINGS } from './limits.ts';
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

/** The media type, or the 415 reply for a content type the server does not take. The server checks it before reading the body. */
export function mediaTypeOf(contentType: string | undefined): MediaType | Reply {
  try {
    return parseContentType(contentType);
  } catch (err) {
    if (err instanceof UserError) return errorReply(415, 'UNSUPPORTED_MEDIA_TYPE', err.message);
    throw err;
  }
}

/** Rows scored between yields (see steps.ts). */
const ROWS_PER_STEP = 512;

/** What one request may ask of the server. */
export interface InvocationLimits {
  /** Rows in one request; past it a 413 naming the setting. Default: no limit. */
  maxRows?: number;
}

function* predictSteps(model: LoadedArtifact, rows: FeatureRow[]): Steps<Prediction[]> {
  if (rows.length <= ROWS_PER_STEP) return model.predictor.predictValid(rows);
  const predictions: Prediction[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STEP) {
    for (const p of model.predictor.predictValid(rows.slice(i, i + ROWS_PER_STEP))) predictions.push(p);
    yield;
  }
  return predictions;
}

/** invocations() in steps: parsing and scoring yield every few hundred rows. */
function* invocationSteps(model: LoadedArtifact, body: string, contentType: string | undefined, limits: InvocationLimits): Steps<Invocation> {
  const mediaType = mediaTypeOf(contentType);
  if (typeof mediaType !== 'string') return { reply: mediaType };
  const maxRows = limits.maxRows ?? Infinity;
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
      reply: { status: 200, contentType: 'application/json', body: JSON.stringify({ predictions }) },
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
export function invocations(model: LoadedArtifact, body: string, contentType: string | undefined, limits: InvocationLimits = {}): Invocation {
  return runToEnd(invocationSteps(model, body, contentType, limits));
}

/** invocations(), the same steps, run by the scheduler: other requests get turns between slices (the server's path). */
export function invocationsSliced(scheduler: SliceScheduler, model: LoadedArtifact, body: string, contentType: string | undefined, limits: InvocationLimits = {}): Promise<Invocation> {
  return scheduler.run(invocationSteps(model, body, contentType, limits));
}
