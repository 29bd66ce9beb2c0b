// The push worker: delivers pending SETs off the request path, in order per destination, with bounded retries.
import type { FastifyBaseLogger } from 'fastify';
import type { KeyStore } from './keys.js';
import type { OutboxRecord, SsfRepository } from './repository.js';

export interface DeliveryOptions {
  attempts: number;
  retryDelayMs: number;
  timeoutMs: number;
}

const MAX_RETRY_DELAY_MS = 300_000;
const MAX_ERROR_BODY = 2048;

/** A destination delivers its SETs one at a time, oldest first: the Okta tenant of an integration, or one stream. */
function laneOf(entry: OutboxRecord): string {
  return entry.stream_id ?? `tenant:${entry.integration_id}`;
}

/** RFC 8935 §2.3: a refused SET comes back as {err, description}. */
function describeRefusal(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { err?: unknown; description?: unknown };
    if (typeof parsed.err === 'string') {
      return typeof parsed.description === 'string' ? `${parsed.err}: ${parsed.description}` : parsed.err;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  const text = body.trim().slice(0, MAX_ERROR_BODY);
  return text ? `HTTP ${status}: ${text}` : `HTTP ${status}`;
}

function networkError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timed out waiting for the receiver';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ? `${error.message}: ${cause.code}` : cause?.message ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}

export class DeliveryWorker {
  private readonly busy = new Map<string, Promise<void>>();
  /** When a retried SET may be tried again (monotonic ms); after a restart every pending SET is due at once. */
  private readonly notBefore = new Map<string, number>();
  private readonly shutdown = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly repository: SsfRepository,
    private readonly keys: KeyStore,
    private readonly options: DeliveryOptions,
    private readonly now: () => Date,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Looks for work soon (never synchronously: callers are on the request path). */
  kick(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  /** Aborts pushes in flight (they stay pending, retried after a restart) and waits for them to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.shutdown.abort();
    await Promise.allSettled([...this.busy.values()]);
  }

  private run(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const heads = new Map<string, OutboxRecord>();
    for (const entry of this.repository.pendingPushes()) {
      const lane = laneOf(entry);
      if (!heads.has(lane)) heads.set(lane, entry);
    }
    let wake = Infinity;
    const now = performance.now();
    for (const [lane, entry] of heads) {
      if (this.busy.has(lane)) continue;
      const due = this.notBefore.get(entry.jti) ?? 0;
      if (due > now) {
        wake = Math.min(wake, due);
        continue;
      }
      const work = this.deliver(entry)
        .catch((err: unknown) => this.log.error({ err, jti: entry.jti }, 'SET delivery failed unexpectedly'))
        .finally(() => {
          this.busy.delete(lane);
          this.kick();
        });
      this.busy.set(lane, work);
    }
    if (wake !== Infinity) {
      this.timer = setTimeout(() => this.run(), Math.max(0, wake - performance.now()));
      this.timer.unref();
    }
  }

  private async deliver(entry: OutboxRecord): Promise<void> {
    const token = entry.token ?? (await this.signed(entry));
    if (this.stopped || !entry.target) return;
    const attempts = entry.attempts + 1;
    let status: number | null = null;
    let failure: string;
    try {
      const response = await fetch(entry.target, {
        method: 'POST',
        headers: {
          'content-type': 'application/secevent+jwt',
          accept: 'application/json',
          ...(entry.authorization ? { authorization: entry.authorization } : {}),
        },
        body: token,
        signal: AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(this.options.timeoutMs)]),
      });
      status = response.status;
      const body = await response.text();
      if (response.ok) {
        const at = this.now().toISOString();
        this.repository.recordAttempt({ jti: entry.jti, status: 'delivered', attempts, http_status: status, error: null, at, delivered_at: at });
        this.notBefore.delete(entry.jti);
        return;
      }
      failure = describeRefusal(status, body);
      if (status >= 400 && status < 500) {
        // The receiver refused this SET (RFC 8935): sending it again would be refused again.
        this.record(entry, attempts, 'failed', status, failure);
        return;
      }
    } catch (error) {
      // A shutdown is not the receiver's fault: the SET stays pending, with no attempt counted.
      if (this.shutdown.signal.aborted) return;
      failure = networkError(error);
    }
    if (attempts >= this.options.attempts) {
      this.record(entry, attempts, 'failed', status, `gave up after ${attempts} attempts: ${failure}`);
      return;
    }
    this.record(entry, attempts, 'pending', status, failure);
    const delay = Math.min(this.options.retryDelayMs * 2 ** (attempts - 1), MAX_RETRY_DELAY_MS);
    this.notBefore.set(entry.jti, performance.now() + delay);
  }

  private record(entry: OutboxRecord, attempts: number, status: 'pending' | 'failed', httpStatus: number | null, error: string): void {
    if (status === 'failed') this.notBefore.delete(entry.jti);
    this.repository.recordAttempt({ jti: entry.jti, status, attempts, http_status: httpStatus, error, at: this.now().toISOString(), delivered_at: null });
    this.log.warn({ jti: entry.jti, target: entry.target, attempts, http_status: httpStatus, error }, 'SET push not accepted');
  }

  /** Signs an entry once and stores the token, so every attempt (and the outbox) carries the same bytes. */
  private async signed(entry: OutboxRecord): Promise<string> {
    return signEntry(this.repository, this.keys, entry);
  }
}

export async function signEntry(repository: SsfRepository, keys: KeyStore, entry: OutboxRecord): Promise<string> {
  if (entry.token) return entry.token;
  const { token, kid } = await keys.sign(entry.account_tag, entry.claims);
  repository.setToken(entry.jti, token, kid);
  // Another signer may have won the race: the stored token is the one.
  return repository.outboxEntry(entry.jti)?.token ?? token;
}
