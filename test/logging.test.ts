// What a request leaves in the logs: one compact line, never a credential.
import { describe, expect, it } from 'vitest';
import { ACCOUNT, TOKEN, makeApp } from './support/app.js';

describe('request logging', () => {
  it('writes one line per request at info, with method, path and status, and no credential', async () => {
    const lines: string[] = [];
    const app = await makeApp({ logLevel: 'info' }, { logStream: { write: (line: string) => void lines.push(line) } });
    const url = `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
    await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
    await app.inject({ method: 'GET', url, headers: { 'x-auth-email': 'user@example.com', 'x-auth-key': 'secret-key-1234567' } });
    await app.close();
    const requests = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request completed');
    expect(requests.map(({ method, url: path, statusCode, level }) => ({ method, path, statusCode, level }))).toEqual([
      { method: 'GET', path: url, statusCode: 200, level: 30 },
      { method: 'GET', path: url, statusCode: 200, level: 30 },
    ]);
    expect(lines.some((l) => l.includes('incoming request'))).toBe(false);
    const all = lines.join('');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('secret-key-1234567');
  });

  it('writes one line for a Swagger UI request too, which a second Fastify instance answers', async () => {
    const lines: string[] = [];
    const app = await makeApp({ logLevel: 'info' }, { logStream: { write: (line: string) => void lines.push(line) } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    expect((await fetch(`http://127.0.0.1:${port}/docs/`)).status).toBe(200);
    await app.close();
    const requests = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request completed');
    expect(requests.map(({ method, url, statusCode }) => ({ method, url, statusCode }))).toEqual([{ method: 'GET', url: '/docs/', statusCode: 200 }]);
  });

  it('writes the same line at the levels below info', async () => {
    for (const logLevel of ['debug', 'trace'] as const) {
      const lines: string[] = [];
      const app = await makeApp({ logLevel }, { logStream: { write: (line: string) => void lines.push(line) } });
      await app.inject({ method: 'GET', url: '/healthz' });
      await app.close();
      const requests = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request completed');
      expect(requests.map(({ method, url, statusCode }) => ({ method, url, statusCode }))).toEqual([{ method: 'GET', url: '/healthz', statusCode: 200 }]);
    }
  });

  it('writes nothing per request at warn', async () => {
    const lines: string[] = [];
    const app = await makeApp({ logLevel: 'warn' }, { logStream: { write: (line: string) => void lines.push(line) } });
    await app.inject({ method: 'GET', url: '/healthz' });
    await app.close();
    expect(lines).toEqual([]);
  });
});
