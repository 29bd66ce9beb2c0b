// JSON request bodies: Fastify's own parser (prototype poisoning refused), behind a nesting limit.
import type { FastifyInstance } from 'fastify';
import { ApiError, ErrorCode } from './errors.js';

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
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(
        new ApiError(400, [
          { code: ErrorCode.jsonTooDeep, message: `Request body nests JSON deeper than ${MAX_JSON_DEPTH} levels` },
        ]),
        undefined,
      );
      return;
    }
    parse(request, text, done);
  });
}
