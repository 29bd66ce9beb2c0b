// An independent SET receiver for the tests: a real HTTP server on loopback that records every request,
// answers as told (202 by default), and verifies SETs with jose against the documents fetched over HTTP.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { expect } from 'vitest';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Answer {
  status: number;
  body?: string;
  /** The answer waits for this promise: the request stays open until the test releases it. */
  after?: Promise<void>;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Answers the next requests with these, in order; later ones get 202. */
  answer(...answers: Answer[]): void;
  /** Resolves with the nth request (1-based) matching `path` once it has arrived. */
  nth(n: number, path?: string): Promise<Received>;
  close(): Promise<void>;
}

export const OKTA_PATH = '/security/api/v1/security-events';

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const answers: Answer[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      for (const wake of [...waiters]) wake();
      const answer = answers.shift() ?? { status: 202 };
      void (answer.after ?? Promise.resolve()).then(() => {
        res.writeHead(answer.status, answer.body ? { 'content-type': 'application/json' } : {});
        res.end(answer.body ?? '');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const matching = (path?: string) => received.filter((r) => path === undefined || r.path === path);
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (...more) => answers.push(...more),
    nth: (n, path) =>
      new Promise((resolve) => {
        const check = () => {
          const found = matching(path)[n - 1];
          if (found) {
            waiters.delete(check);
            resolve(found);
          }
        };
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A gate the test opens: `after: gate.opened` holds a receiver's answer until `gate.open()`. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

export interface VerifiedSet {
  header: ProtectedHeaderParameters;
  claims: JWTPayload & { events: Record<string, Record<string, unknown>>; txn: string; sub_id: Record<string, unknown> };
  eventType: string;
  event: Record<string, unknown>;
}

/**
 * Verifies a SET the way a receiver does: fetches the well-known document and its jwks_uri over HTTP,
 * checks the signature, typ, alg, iss and aud with jose, and the SET rules (one event, no exp, no sub).
 */
export async function verifySet(token: string, wellKnownUrl: string, audience: string): Promise<VerifiedSet> {
  const document = (await (await fetch(wellKnownUrl)).json()) as { issuer: string; jwks_uri: string };
  const jwks = (await (await fetch(document.jwks_uri)).json()) as JSONWebKeySet;
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: document.issuer,
    audience,
    typ: 'secevent+jwt',
    algorithms: ['RS256'],
  });
  expect(Object.keys(protectedHeader).sort()).toEqual(['alg', 'kid', 'typ']);
  expect(protectedHeader.typ).toBe('secevent+jwt');
  const claims = payload as VerifiedSet['claims'];
  expect(Object.keys(claims).sort()).toEqual(['aud', 'events', 'iat', 'iss', 'jti', 'sub_id', 'txn']);
  expect(claims).not.toHaveProperty('exp');
  expect(claims).not.toHaveProperty('sub');
  const types = Object.keys(claims.events);
  expect(types).toHaveLength(1);
  const eventType = types[0] as string;
  return { header: protectedHeader, claims, eventType, event: claims.events[eventType] as Record<string, unknown> };
}
