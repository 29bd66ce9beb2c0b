// Requests that never finish arriving, and requests Node would answer without the failure envelope.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, AUTH } from '../support/app.js';
import { startServer, type RunningServer } from '../support/server.js';
import { expectFailureEnvelope } from './envelope.js';
import { rawRequest } from './raw.js';

const BASE = `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;

/** Sends `bytes` and never more; resolves with everything the server wrote once it closes the connection. */
function stall(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept a stalled connection open; got ${JSON.stringify(received)}`));
    }, 20_000);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(guard);
      resolve(received);
    });
    socket.write(bytes);
  });
}

function bodyOf(answer: string): string {
  return answer.slice(answer.indexOf('\r\n\r\n') + 4);
}

describe('REQUEST_TIMEOUT_MS', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ REQUEST_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('answers headers that never finish 408 in the failure envelope and closes the connection', async () => {
    const answer = await stall(server.port, `GET ${BASE} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\n`);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(expectFailureEnvelope(bodyOf(answer))).toEqual([{ code: 1005, message: 'The request did not arrive in time' }]);
  });

  it('answers a body that stops halfway 408 and closes the connection, and creates nothing', async () => {
    const head = `POST ${BASE} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`;
    const answer = await stall(server.port, `${head}{"integration_type":"Okta","tenant_url":"https://st`);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(expectFailureEnvelope(bodyOf(answer))).toEqual([{ code: 1005, message: 'The request did not arrive in time' }]);
    const listed = await fetch(`${server.url}${BASE}`, { headers: AUTH });
    expect((await listed.json()).result).toEqual([]);
  });

  it('sends no 408 after an answer already given while the body was still arriving', async () => {
    // No credentials: refused at once, before the body is read; the body then never completes.
    const head = `POST ${BASE} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`;
    const answer = await stall(server.port, `${head}{"integration_type":"Okta"`);
    expect(answer.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 400']);
  });
});

describe('SIGTERM with a stalled client', () => {
  it('exits 0, the stalled request answered 408, with the default 30 s timeout', async () => {
    const server = await startServer();
    const head = `POST ${BASE} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`;
    const stalled = stall(server.port, `${head}{"integration_type":`);
    // Answered after the stalled one was sent: the server has its headers.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const exited = server.stop('SIGTERM');
    const answer = await stalled;
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(await exited).toBe(0);
    expect(server.output()).not.toContain('shutdown took longer');
  });
});

describe('requests Node answers itself', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('an HTTP/1.1 request without Host: 400 envelope', async () => {
    const res = await rawRequest(server.port, `GET ${BASE} HTTP/1.1\r\nAuthorization: ${AUTH.authorization}\r\n\r\n`);
    expect(res.status).toBe(400);
    expect(expectFailureEnvelope(res.body)).toEqual([{ code: 1005, message: 'An HTTP/1.1 request needs a Host header' }]);
  });

  it('an Expect other than 100-continue: 417 envelope, and nothing is created', async () => {
    const body = JSON.stringify({ integration_type: 'Okta', tenant_url: 'https://x.okta.com' });
    const res = await rawRequest(
      server.port,
      `POST ${BASE} HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nAuthorization: ${AUTH.authorization}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(res.status).toBe(417);
    expect(expectFailureEnvelope(res.body)).toEqual([{ code: 1005, message: 'Expect: 200-ok is not supported; only 100-continue is' }]);
    expect((await (await fetch(`${server.url}${BASE}`, { headers: AUTH })).json()).result).toEqual([]);
  });

  it('CONNECT: 405 envelope with Allow, not a closed connection', async () => {
    const res = await rawRequest(server.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(res.status).toBe(405);
    expect(res.headers).toMatch(/^Allow: GET, POST, PUT, PATCH, DELETE$/m);
    expect(expectFailureEnvelope(res.body)).toEqual([{ code: 7001, message: 'Method CONNECT not allowed for example.com:443; this is not a proxy' }]);
  });
});
