// The request journal: the last N requests in a ring buffer. The hot path only keeps references
// (headers, parsed body, serialised answer); redaction and parsing happen when someone reads the journal.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CREDENTIAL_HEADERS } from '../cloudflare/credentials.js';
import { accountOf, isInternal, routedPath } from './requests.js';

/** Bodies larger than this are not kept (a marker says so), so the journal's memory stays bounded. */
const MAX_BODY = 64 * 1024;
const REDACTED = '[redacted]';
const CREDENTIALS = new Set(CREDENTIAL_HEADERS);
/** Body fields that carry secrets (e.g. an SSF push delivery's authorization_header). */
const SECRET_FIELD = /^(authorization(_header)?|x-auth-key|token|access_token|refresh_token|client_secret|secret|password|api_key)$/i;

/** What a request leaves in the ring: numbers and references to strings and objects the request already had. */
interface Entry {
  id: number;
  at: number;
  method: string;
  /** The URL as sent (with /client/v4 and the query, if any). */
  url: string;
  /** The URL as routed (the API base stripped); path, query and account are derived from the two when read. */
  routedUrl: string;
  status: number;
  durationMs: number;
  requestHeaders: FastifyRequest['headers'];
  requestBody: unknown;
  responseType: string | null;
  responseBody: string | null;
  fault: string | null;
}

export interface JournalEntry {
  id: number;
  time: string;
  method: string;
  path: string;
  query: string | null;
  account: string | null;
  status: number;
  duration_ms: number;
  fault: string | null;
  request: { headers: Record<string, string>; body: unknown };
  response: { content_type: string | null; body: unknown };
}

export interface JournalFilter {
  account?: string;
  method?: string;
  path?: RegExp;
  status?: number;
  /** Only entries with a greater id. */
  since?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The serialised answer, kept by the journal's onSend hook. */
    journalPayload: unknown;
    /** The fault rule that answered this request, if any. */
    emulatorFault: string | null;
  }
}

function queryOf(url: string): string | null {
  const q = url.indexOf('?');
  return q === -1 ? null : url.slice(q + 1);
}

function redactBody(value: unknown, depth = 0): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactBody(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) ? REDACTED : redactBody(v, depth + 1);
  return out;
}

function responseBodyOf(type: string | null, body: string | null): unknown {
  if (body === null || body === '') return null;
  if (type?.includes('json')) {
    try {
      return redactBody(JSON.parse(body));
    } catch {
      return body;
    }
  }
  return body;
}

export class Journal {
  private readonly ring: (Entry | undefined)[];
  private next = 0;
  private seq = 0;

  constructor(
    readonly size: number,
    /** Milliseconds since the epoch; `Date.now`, which unlike `new Date()` allocates nothing per request. */
    private readonly nowMs: () => number,
  ) {
    this.ring = new Array<Entry | undefined>(size);
  }

  /** Adds the journal's hooks to the root instance; nothing when the journal is off. */
  install(app: FastifyInstance): void {
    app.decorateRequest('journalPayload', null);
    app.decorateRequest('emulatorFault', null);
    if (this.size === 0) return;
    // Callback style: no promise and microtask per request.
    app.addHook('onSend', (request, _reply, payload, done) => {
      request.journalPayload = payload;
      done(null, payload);
    });
    // done() after the entry is kept: should keeping it throw, Fastify gets the error once, as from any hook.
    app.addHook('onResponse', (request, reply, done) => {
      this.record(request, reply);
      done();
    });
  }

  private record(request: FastifyRequest, reply: FastifyReply): void {
    if (isInternal(request)) return;
    const length = Number(request.headers['content-length'] ?? 0);
    const payload = request.journalPayload;
    const type = reply.getHeader('content-type');
    this.add({
      id: 0,
      at: this.nowMs() - reply.elapsedTime,
      method: request.method,
      url: request.originalUrl,
      routedUrl: request.url,
      status: reply.statusCode,
      durationMs: reply.elapsedTime,
      requestHeaders: request.headers,
      requestBody: length > MAX_BODY ? `[not kept: ${length} bytes]` : (request.body ?? null),
      responseType: typeof type === 'string' ? type : null,
      responseBody:
        typeof payload === 'string'
          ? payload.length > MAX_BODY
            ? `[not kept: ${payload.length} characters]`
            : payload
          : null,
      fault: request.emulatorFault,
    });
  }

  private add(entry: Entry): void {
    entry.id = ++this.seq;
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.size;
  }

  /** Entries oldest first. */
  private entries(): Entry[] {
    const out: Entry[] = [];
    for (let i = 0; i < this.size; i++) {
      const entry = this.ring[(this.next + i) % this.size];
      if (entry) out.push(entry);
    }
    return out;
  }

  private static matches(entry: Entry, filter: JournalFilter): boolean {
    if (filter.account !== undefined && (accountOf(routedPath(entry.routedUrl)) ?? null) !== filter.account) return false;
    if (filter.method !== undefined && entry.method !== filter.method.toUpperCase()) return false;
    if (filter.status !== undefined && entry.status !== filter.status) return false;
    if (filter.since !== undefined && entry.id <= filter.since) return false;
    if (filter.path !== undefined && !filter.path.test(routedPath(entry.routedUrl))) return false;
    return true;
  }

  /** Matching entries, oldest first; with `limit`, the newest `limit` of them. */
  list(filter: JournalFilter = {}, limit?: number): JournalEntry[] {
    let found = this.entries().filter((e) => Journal.matches(e, filter));
    if (limit !== undefined && found.length > limit) found = found.slice(found.length - limit);
    return found.map((e) => ({
      id: e.id,
      time: new Date(e.at).toISOString(),
      method: e.method,
      path: e.url.split('?', 1)[0] as string,
      query: queryOf(e.routedUrl),
      account: accountOf(routedPath(e.routedUrl)) ?? null,
      status: e.status,
      duration_ms: Math.round(e.durationMs * 1000) / 1000,
      fault: e.fault,
      request: {
        headers: Object.fromEntries(
          Object.entries(e.requestHeaders).map(([k, v]) => [k, CREDENTIALS.has(k) ? REDACTED : Array.isArray(v) ? v.join(', ') : String(v)]),
        ),
        body: redactBody(e.requestBody),
      },
      response: { content_type: e.responseType, body: responseBodyOf(e.responseType, e.responseBody) },
    }));
  }

  /** How many entries each account has (entries that name no account are not counted). */
  requestsByAccount(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const entry of this.entries()) {
      const account = accountOf(routedPath(entry.routedUrl));
      if (account !== undefined) counts.set(account, (counts.get(account) ?? 0) + 1);
    }
    return counts;
  }

  /** Removes matching entries (all without a filter); returns how many. */
  clear(filter: JournalFilter = {}): number {
    if (this.size === 0) return 0;
    const kept: Entry[] = [];
    let removed = 0;
    for (const entry of this.entries()) {
      if (Journal.matches(entry, filter)) removed++;
      else kept.push(entry);
    }
    this.ring.fill(undefined);
    kept.forEach((entry, i) => (this.ring[i] = entry));
    this.next = kept.length % this.size;
    return removed;
  }
}
