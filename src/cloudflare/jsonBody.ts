// JSON request bodies: Fastify's own parser (prototype poisoning refused), behind a nesting limit. An empty
// body is no body (CONTRACT.md §3): a route without a body schema takes it, one with a schema refuses it.
import type { FastifyInstance } from 'fastify';
import { ApiError, ErrorCode } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body as it arrived, once it parsed (the journal keeps it); null without one. */
    receivedJson: string | null;
  }
}

/** No Cloudflare body nests more than a few levels; 32 leaves room and refuses pathological documents. */
export const MAX_JSON_DEPTH = 32;

/**
 * True when `text` opens more than `limit` arrays/objects at once. One pass over the characters,
 * skipping strings, so a hostile document is refused before JSON.parse spends time on it (a 1 MB
 * `[[[[...` takes JSON.parse hundreds of milliseconds, and the resulting value overflows the stack
 * of any recursive walk such as JSON.stringify).
 */
function nestsDeeperThan(text: string, limit: number): boolean {
  if (text.length <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.decorateRequest('receivedJson', null);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    // Scripts and SDKs send the header on bodiless calls (the Python SDK on every DELETE): no body at all.
    if (text === '') {
      done(null, undefined);
      return;
    }
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(
        new ApiError(400, [
          { code: ErrorCode.jsonTooDeep, message: `Request body nests JSON deeper than ${MAX_JSON_DEPTH} levels` },
        ]),
        undefined,
      );
      return;
    }
    // Fastify's parser calls back synchronously, inside its own try: done() runs out here, so that nothing
    // thrown further on is mistaken for a parse failure.
    let parsed: { error: Error | null; value: unknown } | undefined;
    parse(request, text, (error, value) => (parsed = { error, value }));
    if (!parsed) throw new Error('the JSON parser did not answer synchronously');
    if (!parsed.error) request.receivedJson = text;
    done(parsed.error, parsed.value);
  });
}
