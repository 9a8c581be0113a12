/**
 * An HTTP answer as a value: built by invocations.ts and the router without
 * any I/O, written by server.ts. Errors take MLflow's shape,
 * `{"error_code": …, "message": …}`.
 */
export interface Reply {
  status: number;
  contentType: string;
  body: string;
  /** Sent after Content-Type and Content-Length. */
  headers?: Record<string, string>;
}

export function jsonReply(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return { status, contentType: 'application/json', body: JSON.stringify(value), ...(headers ? { headers } : {}) };
}

export function errorReply(status: number, errorCode: string, message: string, headers?: Record<string, string>): Reply {
  return jsonReply(status, { error_code: errorCode, message }, headers);
}

/** The reply with `headers` added before its own. */
export function withHeaders(reply: Reply, headers: Record<string, string>): Reply {
  return Object.keys(headers).length === 0 ? reply : { ...reply, headers: { ...headers, ...reply.headers } };
}
