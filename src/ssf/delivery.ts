// The push worker: delivers pending SETs off the request path, one at a time per destination (lane), oldest first.
// It reads only what is due (the oldest pending SET of each lane whose time has come), so its cost does not grow
// with the backlog; every failure of a SET is an attempt with backoff, so it never spins.
import type { FastifyBaseLogger } from 'fastify';
import type { KeyStore } from './keys.js';
import type { PushPolicy } from './pushPolicy.js';
import type { AttemptOutcome, OutboxRow, SsfRepository } from './repository.js';
import type { SetClaims } from './events.js';

export interface DeliveryOptions {
  attempts: number;
  retryDelayMs: number;
  timeoutMs: number;
  /** Finished SETs each integration keeps. */
  retention: number;
}

const MAX_RETRY_DELAY_MS = 300_000;
/** The most of a receiver's answer that is read; the rest is cancelled, not buffered. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** The start of the answer kept with each attempt. */
const ANSWER_KEPT = 1024;
/** Lanes pushed at the same time. */
const MAX_IN_FLIGHT = 32;
/**
 * SETs of a lane signed ahead while its oldest is pushed: RSA signing runs on libuv's thread pool, so a backlog
 * drains at the pace of the receiver rather than of sign-then-push, one after the other.
 */
const SIGN_AHEAD = 4;

/** The outcome of one attempt, before it is stored. */
interface Attempt {
  /** delivered: 2xx; final: refused for good (4xx); retry: any other failure. */
  kind: 'delivered' | 'final' | 'retry';
  httpStatus: number | null;
  error: string | null;
  answer: string | null;
  location: string | null;
  /** The receiver's Retry-After, in ms, for a 429 or 503. */
  retryAfterMs?: number;
}

function failure(error: string): Attempt {
  return { kind: 'retry', httpStatus: null, error, answer: null, location: null };
}

/** RFC 8935 §2.3: a refused SET comes back as {err, description}. */
function describeRefusal(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { err?: unknown; description?: unknown };
    if (typeof parsed.err === 'string') {
      return typeof parsed.description === 'string' ? `${parsed.err}: ${parsed.description}` : parsed.err;
    }
  } catch {
    // not JSON: the status alone says it
  }
  return `HTTP ${status}`;
}

function networkError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ? `${error.message}: ${cause.code}` : cause?.message ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in ms from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** At most `limit` bytes of a body, as text; the rest of the stream is cancelled. */
async function readSome(body: ReadableStream<Uint8Array> | null, limit: number): Promise<string> {
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

export class DeliveryWorker {
  /** Lanes with a push in flight, and how to abort each. */
  private readonly inFlight = new Map<string, AbortController>();
  /** Signatures made or being made, by jti, until the push that sends one is recorded with it. */
  private readonly signing = new Map<string, Promise<Signed>>();
  private readonly settled = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly repository: SsfRepository,
    private readonly keys: KeyStore,
    private readonly policy: PushPolicy,
    private readonly options: DeliveryOptions,
    private readonly now: () => Date,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** At start-up, and after state was replaced: every lane's oldest pending SET is due at once. */
  start(): void {
    this.repository.resetLanes(Date.now());
    this.kick();
  }

  /** Looks for work soon (never synchronously: callers are on the request path). */
  kick(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  /** Aborts pushes in flight (they stay pending, tried again after a restart) and waits for them to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const controller of this.inFlight.values()) controller.abort();
    await Promise.allSettled([...this.settled]);
  }

  private run(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    // The lanes being pushed are among the due ones (their time has come and gone): asked for, and skipped.
    for (const row of this.repository.due(now, MAX_IN_FLIGHT + this.inFlight.size)) {
      if (this.inFlight.size >= MAX_IN_FLIGHT) break;
      if (this.inFlight.has(row.lane)) continue;
      const controller = new AbortController();
      this.inFlight.set(row.lane, controller);
      for (const next of this.repository.behind(row.lane, row.seq, SIGN_AHEAD)) void this.sign(next).catch(() => undefined);
      const work = this.deliver(row, controller.signal)
        .catch((err: unknown) => this.log.error({ err, jti: row.jti }, 'SET delivery failed unexpectedly'))
        .finally(() => {
          this.inFlight.delete(row.lane);
          this.settled.delete(work);
          this.kick();
        });
      this.settled.add(work);
    }
    // A lane being pushed looks again when its push ends; the timer is for the SETs waiting on a backoff.
    const next = this.repository.nextDueAfter(now);
    if (next !== null) {
      this.timer = setTimeout(() => this.run(), Math.max(0, next - Date.now()));
      this.timer.unref();
    }
  }

  private async deliver(row: OutboxRow, shutdown: AbortSignal): Promise<void> {
    const attempt = await this.attempt(row, shutdown);
    const signed = await this.signing.get(row.jti)?.catch(() => undefined);
    this.signing.delete(row.jti);
    // A shutdown is not the receiver's fault: the SET stays pending, with no attempt counted.
    if (attempt === undefined || this.stopped) return;
    // A new signature is stored with the attempt that sent it: the outbox shows the bytes the receiver got.
    this.record(row, attempt, signed?.stored === false ? signed : undefined);
  }

  /** One attempt; undefined when the SET is held (SSF_PUSH) or the worker is stopping. */
  private async attempt(row: OutboxRow, shutdown: AbortSignal): Promise<Attempt | undefined> {
    if (!row.target) return failure('the SET has no target to push to');
    const reason = this.policy.holdReason(row.target);
    if (reason !== undefined) {
      this.repository.hold(row.jti, row.lane, reason);
      return undefined;
    }
    let signed: Signed;
    try {
      signed = await this.sign(row);
    } catch (error) {
      return failure(`the SET could not be signed: ${(error as Error).message}`);
    }
    const token = signed.token;
    // Our own timer, not AbortSignal.any([..., AbortSignal.timeout()]), which stops firing after a GC on Node 20.
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new Error('timed out waiting for the receiver')), this.options.timeoutMs);
    const onShutdown = () => controller.abort(new Error('the emulator is stopping'));
    shutdown.addEventListener('abort', onShutdown);
    try {
      const response = await fetch(row.target, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/secevent+jwt',
          accept: 'application/json',
          ...(row.authorization ? { authorization: row.authorization } : {}),
        },
        body: token,
        signal: controller.signal,
      });
      const status = response.status;
      const body = await readSome(response.body, MAX_ANSWER_BYTES);
      const answer = body === '' ? null : body.slice(0, ANSWER_KEPT);
      if (status >= 200 && status < 300) return { kind: 'delivered', httpStatus: status, error: null, answer, location: null };
      if (status >= 300 && status < 400) {
        const location = response.headers.get('location');
        return { kind: 'retry', httpStatus: status, error: `HTTP ${status}: redirects are not followed`, answer, location };
      }
      const error = describeRefusal(status, body);
      // The receiver refused this SET (RFC 8935): sending it again would be refused again; 408 and 429 are not refusals.
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) return { kind: 'final', httpStatus: status, error, answer, location: null };
      const after = status === 429 || status === 503 ? retryAfterMs(response.headers.get('retry-after'), Date.now()) : undefined;
      return { kind: 'retry', httpStatus: status, error, answer, location: null, ...(after === undefined ? {} : { retryAfterMs: after }) };
    } catch (error) {
      if (shutdown.aborted) return undefined;
      return failure(controller.signal.aborted ? (controller.signal.reason as Error).message : networkError(error));
    } finally {
      clearTimeout(timeout);
      shutdown.removeEventListener('abort', onShutdown);
    }
  }

  /** The SET's token, signed once; a failure to sign is the attempt's (its push asks again), so it is not kept. */
  private sign(row: OutboxRow): Promise<Signed> {
    let signed = this.signing.get(row.jti);
    if (!signed) {
      signed = tokenOf(this.repository, this.keys, row);
      this.signing.set(row.jti, signed);
      signed.catch(() => this.signing.delete(row.jti));
    }
    return signed;
  }

  private record(row: OutboxRow, attempt: Attempt, signed: Signed | undefined): void {
    const attempts = row.attempts + 1;
    const at = this.now().toISOString();
    const outcome: AttemptOutcome = {
      jti: row.jti,
      token: signed?.token ?? null,
      kid: signed?.kid ?? null,
      lane: row.lane,
      integrationId: row.integration_id,
      status: 'pending',
      attempts,
      http_status: attempt.httpStatus,
      error: attempt.error,
      at,
      delivered_at: null,
      next_attempt_at: null,
      log: { at, http_status: attempt.httpStatus, error: attempt.error, answer: attempt.answer, location: attempt.location },
    };
    if (attempt.kind === 'delivered') {
      this.repository.recordAttempt({ ...outcome, status: 'delivered', delivered_at: at }, this.options.retention);
      return;
    }
    if (attempt.kind === 'final' || attempts >= this.options.attempts) {
      const error = attempt.kind === 'final' ? attempt.error : `gave up after ${attempts} attempts: ${attempt.error}`;
      this.repository.recordAttempt({ ...outcome, status: 'failed', error }, this.options.retention);
    } else {
      const backoff = this.options.retryDelayMs * 2 ** (attempts - 1);
      const delay = Math.min(attempt.retryAfterMs ?? backoff, MAX_RETRY_DELAY_MS);
      this.repository.recordAttempt({ ...outcome, next_attempt_at: Date.now() + delay }, this.options.retention);
    }
    this.log.warn({ jti: row.jti, target: row.target, attempts, http_status: attempt.httpStatus, error: attempt.error }, 'SET push not accepted');
  }
}

/** A SET's compact JWS and the key that signed it; `stored` when it is the outbox's own. */
interface Signed {
  token: string;
  kid: string;
  stored: boolean;
}

type Unsigned = Pick<OutboxRow, 'jti' | 'account_tag' | 'token' | 'kid' | 'claims'>;

/**
 * The SET's token: the stored one while its key is still one of the account's; otherwise (never signed, or state
 * imported without its keys) a new signature with the account's current key, not yet stored.
 */
async function tokenOf(repository: SsfRepository, keys: KeyStore, entry: Unsigned): Promise<Signed> {
  if (entry.token && entry.kid && repository.hasKey(entry.account_tag, entry.kid)) return { token: entry.token, kid: entry.kid, stored: true };
  const claims = JSON.parse(entry.claims) as unknown;
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new Error('the stored claims are not a JSON object');
  const { token, kid } = await keys.sign(entry.account_tag, claims as SetClaims);
  return { token, kid, stored: false };
}

/** As tokenOf, a new signature stored at once: every later read (the next poll, the outbox) carries the same bytes. */
export async function signedToken(repository: SsfRepository, keys: KeyStore, entry: Unsigned): Promise<string> {
  const signed = await tokenOf(repository, keys, entry);
  if (!signed.stored) repository.setToken(entry.jti, signed.token, signed.kid);
  return signed.token;
}
