// The one place that turns any failure (ours, Fastify's, a validator's, an unknown route) into
// Cloudflare's failure envelope. Nothing else formats an error body.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ErrorCode, noRoute, type ErrorMessage } from './errors.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function pointerOf(error: AjvError): string {
  const missing = error.params.missingProperty;
  if (error.keyword === 'required' && typeof missing === 'string') return `${error.instancePath}/${missing}`;
  return error.instancePath;
}

/** What is wrong with a field, in the words every validation message uses (the API's and a state import's). */
export function problemOf(error: AjvError): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'enum':
      return `must be one of: ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(error.params.allowedValue)}`;
    case 'format':
      return `must be a valid ${String(error.params.format)}`;
    case 'pattern':
      return `must match ${String(error.params.pattern)}`;
    default:
      return error.message ?? 'is invalid';
  }
}

function describe(error: AjvError): string {
  const field = pointerOf(error).slice(1).replaceAll('/', '.') || 'request body';
  if (field === 'request body' && error.keyword === 'type') return 'request body must be a JSON object';
  return `${field} ${problemOf(error)}`;
}

/** One entry per offending field (its first problem), each with the field's JSON pointer. */
export function validationErrors(errors: readonly AjvError[]): ErrorMessage[] {
  const byPointer = new Map<string, ErrorMessage>();
  for (const error of errors) {
    const pointer = pointerOf(error) || '/';
    if (!byPointer.has(pointer)) byPointer.set(pointer, { code: ErrorCode.validation, message: describe(error), source: { pointer } });
  }
  return [...byPointer.values()];
}

function pathOf(request: FastifyRequest): string {
  const url = request.originalUrl;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Maps anything thrown while serving a request to an ApiError; unknown failures become a 500. */
function toApiError(error: FastifyError | ApiError | Error, request: FastifyRequest): ApiError {
  if (error instanceof ApiError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    // A path parameter that fails its schema is a malformed object identifier: Cloudflare cannot route it.
    if (fastifyError.validationContext === 'params') return noRoute(pathOf(request));
    if (fastifyError.validationContext === 'body' || fastifyError.validationContext === 'querystring') {
      return new ApiError(400, validationErrors(fastifyError.validation as AjvError[]));
    }
    return new ApiError(400, [{ code: ErrorCode.badRequest, message: fastifyError.message }]);
  }
  switch (fastifyError.code) {
    // Raised by the JSON body parser alone: the only failure that is the body's syntax (an empty body is no body).
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError(400, [{ code: ErrorCode.malformedJson, message: 'Malformed JSON in request body' }]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, [{ code: ErrorCode.unsupportedMediaType, message: `Unsupported Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')}; send application/json` }]);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, [{ code: ErrorCode.bodyTooLarge, message: 'Request body is too large' }]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, [{ code: ErrorCode.badRequest, message: 'Content-Length does not match the request body' }]);
  }
  // An error that names a 4xx status is a deliberate refusal (Fastify's, a plugin's); anything else, a
  // SyntaxError from stored data included, is the emulator's fault.
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError(status, [{ code: ErrorCode.badRequest, message: fastifyError.message }]);
  }
  return new ApiError(500, [{ code: ErrorCode.internal, message: 'Internal server error' }]);
}

/** Cloudflare's failure envelope around `errors`: the one shape every failure is sent in. */
function failureBody(errors: ErrorMessage[]) {
  return { success: false, errors, messages: [], result: null };
}

function sendFailure(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply
    .code(error.statusCode)
    .headers(error.headers)
    .type('application/json; charset=utf-8')
    .send(failureBody(error.errors));
}

/**
 * Fastify's router refuses some paths before any route or handler runs: a parameter longer than
 * maxParamLength (it would answer 414) or malformed percent-encoding (400). To a client both are a
 * path Cloudflare cannot route.
 */
export function frameworkErrors(_error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendFailure(reply, noRoute(pathOf(request)));
}

interface Serving {
  request: IncomingMessage;
  response: ServerResponse;
}

/** The request each connection serves last: a late 408 must not follow an answer begun. */
const serving = new WeakMap<Socket, Serving>();

/** The connection's request while it is still being served: not yet answered, or answered before it fully arrived. */
function inProgress(socket: Socket): Serving | undefined {
  const last = serving.get(socket);
  return last === undefined || (last.response.writableEnded && last.request.complete) ? undefined : last;
}

/** The failure envelope written straight to a connection that has no response object, which is then closed. */
function refuseConnection(socket: Socket, status: number, errors: ErrorMessage[], headers: Record<string, string> = {}): void {
  const body = JSON.stringify(failureBody(errors));
  if (socket.writable && inProgress(socket)?.response.headersSent !== true) {
    const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n${extra}` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

const TIMED_OUT: ErrorMessage = { code: ErrorCode.badRequest, message: 'The request did not arrive in time' };

export interface FailureOptions {
  /** On close, how long requests still arriving get before they are answered 408 (REQUEST_TIMEOUT_MS, at most 5 s). */
  closeGraceMs: number;
}

export function registerFailureHandlers(app: FastifyInstance, options: FailureOptions = { closeGraceMs: 5000 }): void {
  // Node answers these itself with an empty body, or closes the connection; the envelope is ours to send.
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const body = JSON.stringify(
      failureBody([{ code: ErrorCode.badRequest, message: `Expect: ${String(request.headers.expect)} is not supported; only 100-continue is` }]),
    );
    response.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    response.end(body);
  });
  app.server.on('connect', (request: IncomingMessage, socket: Socket) => {
    refuseConnection(socket, 405, [{ code: ErrorCode.methodNotAllowed, message: `Method CONNECT not allowed for ${request.url ?? ''}; this is not a proxy` }], {
      Allow: METHODS.join(', '),
    });
  });

  app.server.on('request', (request: IncomingMessage, response: ServerResponse) => serving.set(request.socket, { request, response }));
  app.addHook('onRequest', (request, _reply, done) => {
    // Node would answer an HTTP/1.1 request without Host 400 with an empty body (requireHostHeader: off).
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      done(new ApiError(400, [{ code: ErrorCode.badRequest, message: 'An HTTP/1.1 request needs a Host header' }], { connection: 'close' }));
      return;
    }
    done();
  });

  // Node stops its request timeouts when the server closes, so a client that stalls would hold close() open:
  // after a grace, every connection whose request has not fully arrived is answered 408 and closed. Requests
  // that have arrived are left to finish.
  const connections = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  let grace: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    grace = setTimeout(() => {
      for (const socket of connections) {
        if (inProgress(socket)?.request.complete !== true) refuseConnection(socket, 408, [TIMED_OUT]);
      }
    }, options.closeGraceMs);
    grace.unref();
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    clearTimeout(grace);
    done();
  });

  answerFailures(app);
}

/** The failure envelope for every error and unrouted request of `app`, with 405 and Allow where another method is routed. */
export function answerFailures(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    // No route has this method and path (e.g. QUERY without a Content-Type): routing answers 405/404 first.
    if (request.is404 && !(error instanceof ApiError)) return notFound(request, reply);
    const apiError = toApiError(error as FastifyError, request);
    if (apiError.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    return sendFailure(reply, apiError);
  });

  const notFound = (request: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(request);
    const routed = request.url.split('?', 1)[0] as string;
    const allowed = METHODS.filter((method) => app.findRoute({ method, url: routed }) !== null);
    if (allowed.length > 0) {
      return sendFailure(
        reply,
        new ApiError(
          405,
          [{ code: ErrorCode.methodNotAllowed, message: `Method ${request.method} not allowed for ${path}; allowed: ${allowed.join(', ')}` }],
          { allow: allowed.join(', ') },
        ),
      );
    }
    return sendFailure(reply, noRoute(path));
  };
  app.setNotFoundHandler(notFound);
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a malformed request line or header,
 * headers over 16 KB, a request that never finishes arriving) get the failure envelope too, then the
 * connection is closed, as Node does by default.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // A request timeout also hits a request Fastify already has, whose body stalls: the answer is the same.
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return refuseConnection(socket, 408, [TIMED_OUT]);
  const [status, message] = error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request headers are too large'] : [400, 'Malformed HTTP request'];
  refuseConnection(socket, status, [{ code: ErrorCode.badRequest, message }]);
}
