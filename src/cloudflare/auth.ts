// The auth modes of the Cloudflare paths (AUTH_MODE): any well-formed credential, strict (configured
// credentials with accounts and permission groups, as Cloudflare's gateway checks them), or none at all.
import { readFileSync } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import { ConfigError, type AuthMode, type Config } from '../config.js';
import { EMAIL, PRINTABLE, readCredential, type Credential, type Permission } from './credentials.js';
import { ApiError, ErrorCode } from './errors.js';
import { ACCOUNT_ID } from './identifiers.js';

/** Cloudflare's permission group names for Zero Trust risk scoring (CONTRACT.md §4). */
const PERMISSION_GROUPS = ['Zero Trust Read', 'Zero Trust Write', 'Zero Trust: PII Read'] as const;
type PermissionGroup = (typeof PERMISSION_GROUPS)[number];

/** Which groups grant an operation: reads accept Read or Write, writes need Write, PII reads need PII Read. */
const GRANTED_BY: Record<Permission, readonly PermissionGroup[]> = {
  read: ['Zero Trust Read', 'Zero Trust Write'],
  write: ['Zero Trust Write'],
  pii: ['Zero Trust: PII Read'],
};

interface Grant {
  /** undefined: every account ("*"). */
  accounts: Set<string> | undefined;
  groups: Set<PermissionGroup>;
}

function authenticationError(): ApiError {
  return new ApiError(403, [{ code: ErrorCode.authentication, message: 'Authentication error' }]);
}

function keyOf(credential: Credential): string {
  return credential.kind === 'token' ? `token ${credential.token}` : `key ${credential.email.toLowerCase()} ${credential.key}`;
}

/**
 * Parses the strict mode's credentials document:
 * `{"credentials": [{"token": "…" | "email": "…", "key": "…", "accounts": ["<id>" | "*"], "permissions": ["Zero Trust Read", …]}]}`.
 * Throws a ConfigError naming the option and the offending entry.
 */
export function parseCredentials(text: string, source: string): Map<string, Grant> {
  const problem = (where: string, what: string): never => {
    throw new ConfigError(`${source}: ${where}${where ? ': ' : ''}${what}`);
  };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    problem('', `not valid JSON (${(error as Error).message})`);
  }
  const list = (document as { credentials?: unknown } | null)?.credentials;
  if (typeof document !== 'object' || document === null || Array.isArray(document) || !Array.isArray(list)) {
    problem('', 'expected an object {"credentials": [...]}');
  }
  const grants = new Map<string, Grant>();
  (list as unknown[]).forEach((entry, i) => {
    const at = `credentials[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) problem(at, 'expected an object');
    const e = entry as Record<string, unknown>;
    for (const field of Object.keys(e)) {
      if (!['token', 'email', 'key', 'accounts', 'permissions', 'name'].includes(field)) problem(at, `unknown field "${field}"`);
    }
    let credential: Credential;
    if (e.token !== undefined) {
      if (typeof e.token !== 'string' || !PRINTABLE.test(e.token)) problem(`${at}.token`, 'expected printable ASCII without spaces');
      if (e.email !== undefined || e.key !== undefined) problem(at, 'give either "token" or "email" + "key", not both');
      credential = { kind: 'token', token: e.token as string };
    } else {
      if (typeof e.email !== 'string' || !EMAIL.test(e.email)) problem(`${at}.email`, 'expected an email address (or give "token")');
      if (typeof e.key !== 'string' || !PRINTABLE.test(e.key)) problem(`${at}.key`, 'expected printable ASCII without spaces');
      credential = { kind: 'key', email: e.email as string, key: e.key as string };
    }
    if (!Array.isArray(e.accounts) || e.accounts.length === 0) problem(`${at}.accounts`, 'expected a non-empty array of account ids or "*"');
    const accounts = e.accounts as unknown[];
    accounts.forEach((a, j) => {
      if (a !== '*' && (typeof a !== 'string' || !ACCOUNT_ID.test(a))) {
        problem(`${at}.accounts[${j}]`, `${JSON.stringify(a)} is not an account id (32 lower-case hex characters) or "*"`);
      }
    });
    if (!Array.isArray(e.permissions) || e.permissions.length === 0) problem(`${at}.permissions`, 'expected a non-empty array of permission groups');
    const groups = new Set<PermissionGroup>();
    (e.permissions as unknown[]).forEach((p, j) => {
      const group = PERMISSION_GROUPS.find((g) => g === p);
      if (!group) problem(`${at}.permissions[${j}]`, `unknown permission group ${JSON.stringify(p)} (expected one of ${PERMISSION_GROUPS.map((g) => `"${g}"`).join(', ')})`);
      groups.add(group as PermissionGroup);
    });
    const key = keyOf(credential);
    if (grants.has(key)) problem(at, 'the same credential is listed twice');
    grants.set(key, { accounts: accounts.includes('*') ? undefined : new Set(accounts as string[]), groups });
  });
  return grants;
}

/** Reads TOKENS_FILE (or TOKENS) once at start-up. */
function loadCredentials(config: Config): Map<string, Grant> {
  if (config.tokensFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(config.tokensFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`TOKENS_FILE ${config.tokensFile}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    return parseCredentials(text, `TOKENS_FILE ${config.tokensFile}`);
  }
  return parseCredentials(config.tokens ?? '', 'TOKENS');
}

/** Checks a request's credential; `accountId` names the account when the path does not carry it. */
export type Authorizer = (request: FastifyRequest, accountId?: string) => void;

/** The onRequest check of the Cloudflare paths for an auth mode; throws the gateway's failures. */
export function authorizer(config: Pick<Config, 'authMode' | 'tokensFile' | 'tokens'>): Authorizer {
  const mode: AuthMode = config.authMode;
  if (mode === 'off') return () => {};
  if (mode === 'any') return (request) => void readCredential(request);
  const grants = loadCredentials(config as Config);
  return (request, accountOfRequest) => {
    const credential = readCredential(request);
    const grant = grants.get(keyOf(credential));
    if (!grant) throw authenticationError();
    const accountId = accountOfRequest ?? (request.params as { account_id?: unknown } | undefined)?.account_id;
    // A malformed account id is left to routing (7003), as for any malformed identifier.
    if (typeof accountId === 'string' && ACCOUNT_ID.test(accountId) && grant.accounts && !grant.accounts.has(accountId)) {
      throw authenticationError();
    }
    // A route that forgets to declare its permission is treated as a write: fail closed.
    const needed = request.routeOptions.config.permission ?? 'write';
    if (!GRANTED_BY[needed].some((group) => grant.groups.has(group))) throw authenticationError();
  };
}
