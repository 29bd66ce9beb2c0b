// Builds an app the way tests need it: in-memory database by default, pinned clock and ids on request.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppDeps } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config.js';

export const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
export const OTHER_ACCOUNT = 'f037e56e89293a057740de681ac9abbe';
export const TOKEN = 'Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQqnFTOFYY';
export const AUTH = { authorization: `Bearer ${TOKEN}` };

export async function makeApp(overrides: Partial<Config> = {}, deps: AppDeps = {}): Promise<FastifyInstance> {
  const app = await buildApp(testConfig(overrides), deps);
  await app.ready();
  return app;
}

/** Sequential fake ids: 00000000-0000-4000-8000-000000000001, ...2, ... */
export function sequentialIds(): () => string {
  let n = 0;
  return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
}

/** A clock that starts at `start` and advances one second each time it is read. */
export function tickingClock(start = '2025-03-19T19:53:56Z'): () => Date {
  let t = Date.parse(start);
  return () => {
    const d = new Date(t);
    t += 1000;
    return d;
  };
}

export interface Api {
  (method: InjectOptions['method'], path: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

/** `api('POST', '/accounts/…/…', body)` with credentials and the /client/v4 base. */
export function apiOf(app: FastifyInstance): Api {
  return (method, path, body, headers = {}) =>
    app.inject({
      method,
      url: `/client/v4${path}`,
      headers: { ...AUTH, ...headers },
      ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
    });
}
