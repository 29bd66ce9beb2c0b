// Every spelling of a control path that the router takes for it gets the same answer as the plain spelling, so
// the admin token cannot be side-stepped by writing the path differently: the check belongs to the matched route.
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, makeApp } from '../support/app.js';
import { documentedPaths } from '../support/openapi.js';

const TOKEN = 'admin-s3cret';
const INTEGRATION = '00000000-0000-4000-8000-000000000001';

let app: FastifyInstance;
beforeAll(async () => {
  app = await makeApp({ adminToken: TOKEN });
});
afterAll(async () => {
  await app.close();
});

/** Every control operation of the served OpenAPI document, with its path parameters filled in. */
async function controlOperations(): Promise<Array<{ method: InjectOptions['method']; path: string }>> {
  const paths = await documentedPaths(app);
  return Object.entries(paths)
    .filter(([path]) => path.startsWith('/__emulator/v1/'))
    .flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => ({
        method: method.toUpperCase() as InjectOptions['method'],
        path: path.replace('{account_id}', ACCOUNT).replace('{integration_id}', INTEGRATION).replace('{fault_id}', 'no-such-rule'),
      })),
    );
}

/** The first letter of each segment percent-encoded: /__%65mulator/%76 1/... */
function encoded(path: string): string {
  return path
    .split('/')
    .map((segment) => segment.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`))
    .join('/');
}

const spellings = (path: string): Record<string, string> => ({
  encoded: encoded(path),
  'double slashes': path.replaceAll('/', '//'),
  'trailing slash': `${path}/`,
  '/client/v4 prefix': `/client/v4${path}`,
});

/** What a client sees of an answer; the body too, except where each call makes something new. */
async function answer(method: InjectOptions['method'], url: string, authorization?: string) {
  const res = await app.inject({ method, url, ...(authorization ? { headers: { authorization } } : {}) });
  return { status: res.statusCode, type: res.headers['content-type'], body: res.json() as unknown };
}

describe('spellings of every control path', () => {
  it('covers every control operation of the document', async () => {
    expect((await controlOperations()).length).toBe(23);
  });

  it('without the admin token: every spelling is refused with 401 code 1401, as the plain one', async () => {
    const refused = {
      status: 401,
      type: 'application/json; charset=utf-8',
      body: { success: false, errors: [{ code: 1401, message: 'The control API needs Authorization: Bearer <EMULATOR_ADMIN_TOKEN>' }], messages: [], result: null },
    };
    for (const { method, path } of await controlOperations()) {
      expect({ method, path, ...(await answer(method, path)) }).toEqual({ method, path, ...refused });
      for (const [name, url] of Object.entries(spellings(path))) {
        expect({ method, name, url, ...(await answer(method, url)) }).toEqual({ method, name, url, ...refused });
      }
    }
  });

  it('with the admin token: every spelling of a read answers what the plain spelling answers', async () => {
    const reads = (await controlOperations()).filter((op) => op.method === 'GET');
    expect(reads.length).toBe(12);
    for (const { method, path } of reads) {
      const plain = await answer(method, path, `Bearer ${TOKEN}`);
      for (const [name, url] of Object.entries(spellings(path))) {
        expect({ name, url, ...(await answer(method, url, `Bearer ${TOKEN}`)) }).toEqual({ name, url, ...plain });
      }
    }
  });

  it('with the admin token: every spelling of a write reaches the same operation (same status)', async () => {
    for (const { method, path } of (await controlOperations()).filter((op) => op.method !== 'GET')) {
      const plain = await answer(method, path, `Bearer ${TOKEN}`);
      for (const [name, url] of Object.entries(spellings(path))) {
        expect({ method, name, url, status: (await answer(method, url, `Bearer ${TOKEN}`)).status }).toEqual({ method, name, url, status: plain.status });
      }
    }
  });
});
