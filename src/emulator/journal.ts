// The request journal: the last requests in a ring buffer, bounded in number and in bytes. The hot path only
// keeps references (headers, the body as it arrived, the serialised answer); redaction and parsing happen when
// someone reads the journal.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CREDENTIAL_HEADERS } from '../cloudflare/credentials.js';
import { accountOf, isInternal, routedPath, type PathPattern } from './requests.js';

/** Bodies larger than this are not kept (a marker says so). */
const MAX_BODY = 64 * 1024;
/** What an entry costs besides its strings (its fields, the headers object): counted towards the byte bound. */
const ENTRY_OVERHEAD = 512;
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
  /** The JSON body as it arrived (parsed when read), a marker for one not kept, or null. */
  requestBody: string | null;
  requestBodyKept: boolean;
  responseType: string | null;
  responseBody: string | null;
  fault: string | null;
  /** What the entry holds, counted against the journal's byte bound. */
  bytes: number;
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
  path?: PathPattern;
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

/** UTF-8 bytes of `text`; counted only when the length alone cannot tell that it is under the cap. */
function utf8Bytes(text: string): number {
  return text.length * 3 <= MAX_BODY ? text.length : Buffer.byteLength(text);
}

function headerBytes(headers: FastifyRequest['headers']): number {
  let bytes = 0;
  for (const name in headers) {
    const value = headers[name];
    bytes += name.length + (Array.isArray(value) ? value.reduce((n, v) => n + v.length, 0) : String(value ?? '').length);
  }
  return bytes;
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
  /** Index of the oldest entry, how many there are, and the bytes they hold. */
  private head = 0;
  private count = 0;
  private bytes = 0;
  private seq = 0;

  constructor(
    readonly size: number,
    /** The most bytes the entries may hold in all; the oldest go first. */
    readonly maxBytes: number,
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
    // The body as read, whatever Content-Length said (a chunked body has none).
    const received = request.receivedJson;
    const receivedBytes = received === null ? 0 : utf8Bytes(received);
    const requestBodyKept = received !== null && receivedBytes <= MAX_BODY;
    const requestBody = received === null ? null : requestBodyKept ? received : `[not kept: ${receivedBytes} bytes]`;
    const payload = request.journalPayload;
    const sentBytes = typeof payload === 'string' ? utf8Bytes(payload) : 0;
    const responseBody = typeof payload === 'string' ? (sentBytes > MAX_BODY ? `[not kept: ${sentBytes} bytes]` : payload) : null;
    const type = reply.getHeader('content-type');
    const responseType = typeof type === 'string' ? type : null;
    const url = request.originalUrl;
    const routedUrl = request.url;
    this.add({
      id: 0,
      at: this.nowMs() - reply.elapsedTime,
      method: request.method,
      url,
      routedUrl,
      status: reply.statusCode,
      durationMs: reply.elapsedTime,
      requestHeaders: request.headers,
      requestBody,
      requestBodyKept,
      responseType,
      responseBody,
      fault: request.emulatorFault,
      bytes:
        ENTRY_OVERHEAD +
        (url === routedUrl ? url.length : url.length + routedUrl.length) +
        headerBytes(request.headers) +
        (requestBody?.length ?? 0) +
        (responseBody?.length ?? 0) +
        (responseType?.length ?? 0),
    });
  }

  private add(entry: Entry): void {
    entry.id = ++this.seq;
    if (entry.bytes > this.maxBytes) return;
    while (this.count > 0 && (this.count === this.size || this.bytes + entry.bytes > this.maxBytes)) this.dropOldest();
    this.ring[(this.head + this.count) % this.size] = entry;
    this.count++;
    this.bytes += entry.bytes;
  }

  private dropOldest(): void {
    const oldest = this.ring[this.head] as Entry;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.size;
    this.count--;
    this.bytes -= oldest.bytes;
  }

  /** Entries oldest first. */
  private entries(): Entry[] {
    const out: Entry[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.ring[(this.head + i) % this.size] as Entry);
    return out;
  }

  private static matches(entry: Entry, filter: JournalFilter): boolean {
    if (filter.account !== undefined && (accountOf(routedPath(entry.routedUrl)) ?? null) !== filter.account) return false;
    if (filter.method !== undefined && entry.method !== filter.method.toUpperCase()) return false;
    if (filter.status !== undefined && entry.status !== filter.status) return false;
    if (filter.since !== undefined && entry.id <= filter.since) return false;
    if (filter.path !== undefined && !filter.path.matches(routedPath(entry.routedUrl))) return false;
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
        body: e.requestBodyKept && e.requestBody !== null ? redactBody(JSON.parse(e.requestBody)) : e.requestBody,
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
    this.head = 0;
    this.count = kept.length;
    this.bytes = kept.reduce((n, e) => n + e.bytes, 0);
    return removed;
  }
}
