// What a request leaves in the logs: one compact line, and pino's child logger only for a request that writes.
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

/** pino's levels by value; a line is written when its level's value is at least the logger's. */
const LEVEL_VALUES: Record<string, number | undefined> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

const INFO = 30;

/** Whether a logger at `loggerLevel` writes a line at `lineLevel` (a level pino does not know counts as info). */
function writes(lineLevel: string, loggerLevel: string): boolean {
  return (LEVEL_VALUES[lineLevel] ?? INFO) >= (LEVEL_VALUES[loggerLevel] ?? INFO);
}

/**
 * A request's logger that makes pino's child (the request id bound in) only when a line is written or a child
 * is asked for. Fastify makes that child for every request: 2-3 µs of CPU and several objects to collect
 * (`npm run bench:cpu`), while at LOG_LEVEL=warn, the level for load tests and CI, most requests write nothing.
 * What is written is the same: the same bindings, serializers and redaction, which the child inherits.
 */
class RequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', args: unknown[]): void {
    if (!writes(level, this.level)) return;
    const logger = this.logger;
    Reflect.apply(logger[level], logger, args);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.write('error', args);
  }

  warn(...args: unknown[]): void {
    this.write('warn', args);
  }

  info(...args: unknown[]): void {
    this.write('info', args);
  }

  debug(...args: unknown[]): void {
    this.write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.write('trace', args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: a RequestLogger in place of pino's child. */
export function requestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(logger, bindings, options);
}

/**
 * One line per request instead of Fastify's two ("incoming request" + "request completed"): method, path,
 * status and time, never headers, so credentials stay out of the logs.
 */
export class CompactRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Below `info` (e.g. LOG_LEVEL=warn for load tests) a success writes nothing: build nothing either.
    if (!error && !writes('info', request.log.level)) return;
    const line = { method: request.method, url: request.originalUrl, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 };
    if (error) request.log.error({ ...line, err: error }, 'request errored');
    else request.log.info(line, 'request completed');
  }
}
