import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { LIMIT_SETTINGS, type ServeLimits } from './limits.ts';
import { errorReply, type Reply } from './reply.ts';

/**
 * What Node's HTTP parser refuses, answered as the routes answer: MLflow's
 * `{"error_code", "message"}` JSON, not Node's bare status line. The statuses
 * are Node's own choice for each parser error.
 */
export function parserErrorReply(err: NodeJS.ErrnoException, limits: ServeLimits): Reply {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return errorReply(431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'the request headers are too large (Node allows 16 KiB in all): send fewer or shorter headers');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return errorReply(413, 'REQUEST_ENTITY_TOO_LARGE', 'the chunk extensions are too large: send the body without chunk extensions');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return errorReply(
        408,
        'REQUEST_TIMEOUT',
        `the request did not arrive in time: headers within ${limits.headersTimeoutMs} ms (${LIMIT_SETTINGS.headersTimeoutMs}), the whole request within ${limits.requestTimeoutMs} ms (${LIMIT_SETTINGS.requestTimeoutMs})`,
      );
    default:
      return errorReply(400, 'BAD_REQUEST', `malformed HTTP request (${err.code ?? err.message}): send a well-formed HTTP/1.1 request`);
  }
}

/** The reply as raw HTTP/1.1 on a socket no response object owns, closing it. */
function writeRaw(socket: Duplex, reply: Reply): void {
  const head = `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status]}\r\nContent-Type: ${reply.contentType}\r\nContent-Length: ${Buffer.byteLength(reply.body)}\r\nConnection: close\r\n\r\n`;
  socket.end(head + reply.body);
  // A client that does not read must not keep the socket: it is closed at once if the answer cannot be flushed soon.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/**
 * Installs the JSON answers for the parser's errors ('clientError'), for an
 * Expect other than 100-continue (417, 'checkExpectation'), and for Expect:
 * 100-continue with a body over the limit (413 before the client sends it,
 * 'checkContinue'; otherwise 100 Continue and the request as usual).
 */
export function answerParserErrors(server: Server, limits: ServeLimits): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler: nothing is written after the client went away, or into a response already begun on the socket.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    writeRaw(socket, parserErrorReply(err, limits));
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    writeResponse(res, errorReply(417, 'EXPECTATION_FAILED', `Expect: ${req.headers.expect} is not supported; send no Expect header or Expect: 100-continue`, { Connection: 'close' }));
  });
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limits.maxBodyBytes) {
      writeResponse(
        res,
        errorReply(413, 'REQUEST_ENTITY_TOO_LARGE', `the body is ${declared} bytes; the limit is ${limits.maxBodyBytes} bytes (${LIMIT_SETTINGS.maxBodyBytes}): send fewer rows per request`, {
          Connection: 'close',
        }),
      );
      return;
    }
    res.writeContinue();
    server.emit('request', req, res);
  });
}

function writeResponse(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType,
    'Content-Length': Buffer.byteLength(reply.body),
    ...reply.headers,
  });
  res.end(reply.body);
}
