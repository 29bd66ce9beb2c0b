// What the journal and fault rules know of a request: whether its route is the emulator's own, its path as
// routed, the account it names, and the path patterns they filter by (matched without /client/v4).
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route of the emulator itself (controls, health, docs): never journaled, never answered by a fault rule. */
    internal?: boolean;
  }
}

/** Marks every route registered in `instance` (and its children) as the emulator's own. */
export function markInternal(instance: FastifyInstance): void {
  instance.addHook('onRoute', (route) => {
    route.config = { ...route.config, internal: true };
  });
}

export function isInternal(request: FastifyRequest): boolean {
  return request.routeOptions.config.internal === true;
}

const API_PREFIX = '/client/v4';
const ACCOUNT_IN_PATH = /^\/accounts\/([^/?]+)/;

/** The path a request is routed on: no /client/v4 base, no query, no trailing slash. */
export function routedPath(url: string): string {
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) path = path.slice(API_PREFIX.length);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path || '/';
}

/** The account a Cloudflare path names, if any. */
export function accountOf(path: string): string | undefined {
  return ACCOUNT_IN_PATH.exec(path)?.[1];
}

/**
 * Compiles a path pattern: `*` matches within one segment, `**` across segments, `{name}` one whole
 * segment (so paths copied from the OpenAPI document work). Undefined when the pattern is not a path.
 */
export function compilePathPattern(pattern: string): RegExp | undefined {
  if (!pattern.startsWith('/') || /\s/.test(pattern)) return undefined;
  const path = routedPath(pattern);
  let source = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (c === '*' && path[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '{') {
      const end = path.indexOf('}', i);
      if (end === -1) return undefined;
      source += '[^/]+';
      i = end;
    } else source += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
