// Process entry: configuration -> buildApp -> listen; SIGTERM/SIGINT close gracefully.
import { buildApp } from './app.js';
import { ConfigError, loadConfig, publicOrigin, type Config } from './config.js';

export async function start(config: Config): Promise<void> {
  const app = await buildApp(config);
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // In-flight requests finish, idle keep-alive connections are closed, then the database closes.
    const force = setTimeout(() => {
      app.log.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = address && typeof address === 'object' ? address.port : config.port;
  const origin = publicOrigin(config, port);
  app.log.info(
    { url: `${origin}/client/v4`, database: config.databasePath },
    `risk-scoring emulator listening on ${origin}/client/v4 (database: ${config.databasePath})`,
  );
}

export async function main(argv: readonly string[]): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  await start(config);
}

await main(process.argv.slice(2));
