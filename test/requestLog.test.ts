// The request's logger writes what pino's child would (request id, level, redaction), though it is made lazily.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { testConfig, type Config } from '../src/config.js';

type Line = Record<string, unknown>;

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** An app at `logLevel` with one extra route whose handler logs through `request.log`; the lines it writes. */
async function appLogging(logLevel: Config['logLevel'], log: (request: FastifyRequest) => void, routeLogLevel?: 'debug') {
  const lines: Line[] = [];
  app = await buildApp(testConfig({ logLevel }), { logStream: { write: (line: string) => void lines.push(JSON.parse(line) as Line) } });
  app.get('/test-log', routeLogLevel ? { logLevel: routeLogLevel } : {}, async (request) => {
    log(request);
    return { ok: true };
  });
  await app.ready();
  return { lines, get: () => (app as FastifyInstance).inject({ method: 'GET', url: '/test-log' }) };
}

const pick = (lines: Line[], ...keys: string[]) => lines.map((l) => Object.fromEntries(keys.map((k) => [k, l[k]])));

describe('the request logger', () => {
  it('writes lines at or above the level with the request id, and nothing below it', async () => {
    const { lines, get } = await appLogging('warn', (request) => {
      request.log.trace('t');
      request.log.debug('d');
      request.log.info({ n: 1 }, 'i');
      request.log.warn({ n: 2 }, 'w %s', 'formatted');
      request.log.error('e');
      request.log.fatal('f');
    });
    expect((await get()).statusCode).toBe(200);
    expect((await get()).statusCode).toBe(200);
    expect(pick(lines, 'level', 'msg', 'n', 'reqId')).toEqual([
      { level: 40, msg: 'w formatted', n: 2, reqId: 'req-1' },
      { level: 50, msg: 'e', n: undefined, reqId: 'req-1' },
      { level: 60, msg: 'f', n: undefined, reqId: 'req-1' },
      { level: 40, msg: 'w formatted', n: 2, reqId: 'req-2' },
      { level: 50, msg: 'e', n: undefined, reqId: 'req-2' },
      { level: 60, msg: 'f', n: undefined, reqId: 'req-2' },
    ]);
  });

  it('gives children that keep the request id, and keeps credentials out as the root logger does', async () => {
    const { lines, get } = await appLogging('info', (request) => {
      request.log.child({ part: 'inner' }).info('from a child');
      request.log.warn({ headers: { authorization: 'Bearer secret-token-123', accept: 'application/json' } }, 'headers');
    });
    await get();
    const written = lines.filter((l) => l.msg !== 'request completed');
    expect(pick(written, 'msg', 'part', 'reqId', 'headers')).toEqual([
      { msg: 'from a child', part: 'inner', reqId: 'req-1', headers: undefined },
      { msg: 'headers', part: undefined, reqId: 'req-1', headers: { authorization: '[redacted]', accept: 'application/json' } },
    ]);
    expect(pick(lines.filter((l) => l.msg === 'request completed'), 'reqId', 'url', 'statusCode')).toEqual([{ reqId: 'req-1', url: '/test-log', statusCode: 200 }]);
  });

  it("follows a route's own log level and a level set on the request", async () => {
    const routeLevel = await appLogging('warn', (request) => request.log.debug('route debug'), 'debug');
    await routeLevel.get();
    // The route is at debug, so its request also writes the info line, as pino's child at that level would.
    expect(pick(routeLevel.lines, 'level', 'msg', 'reqId')).toEqual([
      { level: 20, msg: 'route debug', reqId: 'req-1' },
      { level: 30, msg: 'request completed', reqId: 'req-1' },
    ]);
    await app?.close();

    const setLevel = await appLogging('warn', (request) => {
      request.log.info('before');
      request.log.level = 'info';
      request.log.info('after');
    });
    await setLevel.get();
    expect(pick(setLevel.lines, 'level', 'msg', 'reqId')).toEqual([
      { level: 30, msg: 'after', reqId: 'req-1' },
      { level: 30, msg: 'request completed', reqId: 'req-1' },
    ]);
  });
});
