// Credential checks as Cloudflare's API gateway makes them, before any route logic runs.
import type { FastifyRequest } from 'fastify';
import { ApiError, ErrorCode, type ErrorMessage } from './errors.js';

export type Credential =
  | { kind: 'token'; token: string }
  | { kind: 'key'; email: string; key: string };

/** Headers that carry a credential: never logged, redacted in the journal. */
export const CREDENTIAL_HEADERS: readonly string[] = ['authorization', 'x-auth-key', 'x-auth-email', 'cookie', 'proxy-authorization'];
/** A token or key: printable ASCII without spaces. */
export const PRINTABLE = /^[\x21-\x7e]+$/;
export const EMAIL = /^[^\s@]+@[^\s@]+$/;
const BEARER = /^Bearer ([\x21-\x7e]+)$/i;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function invalidHeaders(chain: ErrorMessage[]): ApiError {
  return new ApiError(400, [
    { code: ErrorCode.invalidHeaders, message: 'Invalid request headers', error_chain: chain },
  ]);
}

/**
 * Reads the request's credential: `Authorization: Bearer <token>`, or `X-Auth-Email` + `X-Auth-Key`.
 * Throws Cloudflare's 9106 when none is sent and 6003 (with its error_chain) when one is malformed.
 */
export function readCredential(request: FastifyRequest): Credential {
  const authorization = header(request, 'authorization');
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization.trim());
    if (!match) {
      throw invalidHeaders([{ code: ErrorCode.invalidAuthorizationHeader, message: 'Invalid format for Authorization header' }]);
    }
    return { kind: 'token', token: match[1] as string };
  }
  const email = header(request, 'x-auth-email');
  const key = header(request, 'x-auth-key');
  if (email === undefined && key === undefined) {
    throw new ApiError(400, [
      { code: ErrorCode.missingCredentials, message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers' },
    ]);
  }
  const chain: ErrorMessage[] = [];
  if (key === undefined || !PRINTABLE.test(key.trim())) {
    chain.push({ code: ErrorCode.invalidKeyHeader, message: 'Invalid format for X-Auth-Key header' });
  }
  if (email === undefined || !EMAIL.test(email.trim())) {
    chain.push({ code: ErrorCode.invalidEmailHeader, message: 'Invalid format for X-Auth-Email header' });
  }
  if (chain.length > 0) throw invalidHeaders(chain);
  return { kind: 'key', email: (email as string).trim(), key: (key as string).trim() };
}

/**
 * Permission groups an operation needs, as Cloudflare's schema lists them (x-api-token-group).
 * Routes declare theirs in `config.permission`; the strict auth mode enforces them.
 */
export type Permission = 'read' | 'write' | 'pii';

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: Permission;
  }
}
