import { MAX_BODY_BYTES } from './contract.ts';

/**
 * The serving program's limits on what clients may make it hold: each one a
 * setting (the environment variable config.ts reads once) with its default.
 * A client past a limit is answered (413, 503) or cut off; the others keep
 * being served.
 */
export interface ServeLimits {
  /** Concurrent connections; past it, new ones are closed as they arrive. */
  maxConnections: number;
  /** A request body's bytes (413 past it). */
  maxBodyBytes: number;
  /** Rows in one request (413 past it); also bounds the work and the answer of one request. */
  maxRows: number;
  /** Bytes held for all clients together: bodies being read or scored, answers not yet taken by the kernel (503 past it). */
  maxBufferedBytes: number;
  /** The same, for one connection. */
  maxConnectionBytes: number;
  /** From an answer's first byte to its last taken by the kernel; a client that does not read is cut off past it. */
  writeTimeoutMs: number;
  /** From a request's first byte to its last (headers and body); 408 past it. */
  requestTimeoutMs: number;
  /** From a request's first byte to the end of its headers; 408 past it. */
  headersTimeoutMs: number;
}

/** Each limit's environment variable, the one place the names are spelled. */
export const LIMIT_SETTINGS: Record<keyof ServeLimits, string> = {
  maxConnections: 'ROOKERY_MAX_CONNECTIONS',
  maxBodyBytes: 'ROOKERY_MAX_BODY_BYTES',
  maxRows: 'ROOKERY_MAX_ROWS',
  maxBufferedBytes: 'ROOKERY_MAX_BUFFERED_BYTES',
  maxConnectionBytes: 'ROOKERY_MAX_CONNECTION_BYTES',
  writeTimeoutMs: 'ROOKERY_WRITE_TIMEOUT_MS',
  requestTimeoutMs: 'ROOKERY_REQUEST_TIMEOUT_MS',
  headersTimeoutMs: 'ROOKERY_HEADERS_TIMEOUT_MS',
};

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: ServeLimits = {
  maxConnections: 512,
  maxBodyBytes: MAX_BODY_BYTES,
  // JSON.parse of this many rows' worth of values takes V8 about 10-20 ms, a fair slice; scoring runs in slices of its own.
  maxRows: 10_000,
  // About ten full-size bodies at once: a body costs the server two to three times its size while it is read and parsed.
  maxBufferedBytes: 64 * MiB,
  maxConnectionBytes: 16 * MiB,
  writeTimeoutMs: 15_000,
  // SageMaker gives /invocations 60 s.
  requestTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
};
