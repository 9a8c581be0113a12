import type { LoadedArtifact } from '../model/artifact.ts';
import type { FeatureRow } from '../model/dataset.ts';
import type { Prediction } from '../model/predictor.ts';
import { UserError } from '../model/user-error.ts';
import { parseContentType, parseCsvRequest, parseJsonRequest, type MediaType } from './protocol.ts';
import { errorReply, type Reply } from './reply.ts';

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

/**
 * The scoring protocol as one pure function, as MLflow's scoring server has it
 * (`invocations(data, content_type, model)`): the body and its Content-Type
 * header in, the reply out; no I/O and no HTTP objects. Input the client can
 * fix is a 400 (415 for the content type); anything else thrown is a bug.
 */
export function invocations(model: LoadedArtifact, body: string, contentType: string | undefined): Invocation {
  const mediaType = mediaTypeOf(contentType);
  if (typeof mediaType !== 'string') return { reply: mediaType };
  try {
    const request = mediaType === 'text/csv' ? parseCsvRequest(body, model.params.schema) : parseJsonRequest(body, model.params.schema);
    const predictions = model.predictor.predictValid(request.rows);
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
    if (err instanceof UserError) return { reply: errorReply(400, 'BAD_REQUEST', err.message) };
    throw err;
  }
}
