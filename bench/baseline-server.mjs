// The baseline: a bare Fastify 5 server that answers one GET path with fixed bytes. Plain JS, no
// plugins, no logger, so what it measures is Fastify + Node's HTTP stack and nothing of ours.
import Fastify from 'fastify';

const path = process.env.BASELINE_PATH;
const body = process.env.BASELINE_BODY;
if (!path || body === undefined) {
  console.error('BASELINE_PATH and BASELINE_BODY are required');
  process.exit(2);
}
const app = Fastify();
app.get(path, (_request, reply) => {
  reply.type('application/json; charset=utf-8').send(body);
});
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
