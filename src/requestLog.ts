// The one log line of each answered request, written at info: method, path, status and time. Never headers, so
// credentials stay out of the logs. Built only when the level writes it.
import type { FastifyInstance } from 'fastify';

const WRITES_INFO = new Set(['info', 'debug', 'trace']);

export function logEachResponse(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    if (WRITES_INFO.has(request.log.level)) {
      request.log.info(
        { method: request.method, url: request.originalUrl, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
        'request completed',
      );
    }
    done();
  });
}
