// A Shared Signals receiver for bench/drain.ts, in a process of its own so the load generator never delays
// its answers: a plain node:http server on loopback answering 202 to every POST of a SET to
// /security/api/v1/security-events, counting SETs by their jti (read from the token's payload, not verified).
// Started with fork(); reports on IPC when asked ({ type: 'stats' }).
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';

const PATH = '/security/api/v1/security-events';
const jtis = new Set();
const users = new Set();
let received = 0;
let unreadable = 0;
let first = null;
let last = null;

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method !== 'POST' || req.url !== PATH) {
      unreadable++;
      res.writeHead(404).end();
      return;
    }
    const now = performance.timeOrigin + performance.now();
    first ??= now;
    last = now;
    received++;
    try {
      const claims = JSON.parse(Buffer.from(Buffer.concat(chunks).toString('latin1').split('.')[1], 'base64url').toString('utf8'));
      jtis.add(claims.jti);
      const subject = claims.sub_id?.email ?? claims.sub_id?.id;
      if (subject) users.add(subject);
    } catch {
      unreadable++;
    }
    res.writeHead(202).end();
  });
});

process.on('message', (message) => {
  if (message?.type === 'stats') process.send({ type: 'stats', received, distinct: jtis.size, users: users.size, unreadable, first, last });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
