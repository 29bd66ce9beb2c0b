// bench/optimisations.ts: the emulator from a tsc build of src/ (BENCH_APP_DIR), with the route schemas compiled
// eagerly at ready() as Fastify does by default (BENCH_EAGER_SCHEMAS=1) or on first use, as shipped. The
// shipped entry (src/server.ts) has no such switch, so this does what src/main.ts does with
// AppDeps.eagerSchemas, the option the tests use; both variants start through this same file.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.env.BENCH_APP_DIR;
if (!dir) {
  console.error('BENCH_APP_DIR is required');
  process.exit(2);
}
const { buildApp } = await import(pathToFileURL(join(dir, 'app.js')).href);
const { loadConfig } = await import(pathToFileURL(join(dir, 'config.js')).href);
const config = loadConfig([]);
const app = await buildApp(config, { eagerSchemas: process.env.BENCH_EAGER_SCHEMAS === '1' });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
await app.listen({ port: config.port, host: config.host });
