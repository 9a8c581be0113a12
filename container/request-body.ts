import type { IncomingMessage } from 'node:http';
import { UserError } from '../model/user-error.ts';
import type { Hold, Refusal } from './byte-budget.ts';
import { LIMIT_SETTINGS } from './limits.ts';

/** The body was refused because the server (or this connection) holds as many client bytes as it may (the server's 503). */
export class BodyRefused extends Error {
  constructor(readonly refusal: Refusal) {
    super(`the server holds as many client bytes as it may (${refusal})`);
  }
}

/**
 * How much of an over-limit body is read and dropped before answering 413.
 * Most clients send the whole body before reading the answer; answering
 * and closing while they still send resets the connection, and they see
 * EPIPE or ECONNRESET instead of the 413. Past this, answer at once and close.
 */
const DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * Reads the body up to the limit, counting each chunk in the request's hold;
 * past the limit, drops the rest (see DRAIN_BYTES) and rejects with a
 * UserError (the server's 413), buffering nothing more. A chunk the hold
 * refuses rejects with BodyRefused (the server's 503), buffering nothing more.
 * A failing connection rejects with its own error.
 */
export function readBody(req: IncomingMessage, limit: number, hold: Hold): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    let tooLarge = declared > limit ? new UserError(`the body is ${declared} bytes; the limit is ${limit} bytes (${LIMIT_SETTINGS.maxBodyBytes}): send fewer rows per request`) : undefined;
    if (tooLarge && declared > limit + DRAIN_BYTES) {
      reject(tooLarge);
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    let refused: BodyRefused | undefined;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      const refusal = tooLarge ? undefined : hold.admit(chunk.length);
      if (refusal) {
        refused = new BodyRefused(refusal);
        chunks = [];
        reject(refused);
        return;
      }
      size += chunk.length;
      if (!tooLarge && size > limit) {
        tooLarge = new UserError(`the body exceeds the limit of ${limit} bytes (${LIMIT_SETTINGS.maxBodyBytes}): send fewer rows per request`);
        chunks = [];
      }
      if (!tooLarge) chunks.push(chunk);
      else if (size > limit + DRAIN_BYTES) reject(tooLarge);
    });
    // Most bodies arrive in one chunk: decode it where it is rather than copying it first.
    req.on('end', () => (tooLarge ? reject(tooLarge) : resolve((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)).toString('utf8'))));
    req.on('error', reject);
  });
}
