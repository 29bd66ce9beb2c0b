// What both entries (server.ts for `npm start`, cli.ts for the `bin`) run: options -> buildApp -> listen;
// SIGTERM/SIGINT close gracefully.
import { buildApp } from './app.js';
import { ConfigError, loadConfig, OPTIONS, publicOrigin, type Config } from './config.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './package.js';

export async function start(config: Config): Promise<void> {
  let app;
  try {
    app = await buildApp(config);
  } catch (error) {
    // A bad seed or tokens file: the same clear message and exit code as a bad option.
    if (error instanceof ConfigError) {
      console.error(`error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
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

/** The --help text, generated from the option table so it never misses one. */
export function helpText(): string {
  const rows = OPTIONS.map((o) => {
    const flags = [o.flag, ...(o.aliases ?? [])].join(', ');
    return `  ${flags} <value>\n      ${o.description}\n      env: ${o.env}    default: ${o.defaultText}`;
  });
  return [
    `${PACKAGE_NAME} ${PACKAGE_VERSION}: a local emulator of Cloudflare's Zero Trust risk-scoring API`,
    '',
    `Usage: ${PACKAGE_NAME} [options]`,
    '',
    'Every option is a flag or an environment variable; a flag wins over the variable, the variable over the default.',
    '',
    'Options:',
    ...rows,
    '  -h, --help\n      print this help and exit',
    '  -v, --version\n      print the version and exit',
    '',
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText());
    return;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`${PACKAGE_VERSION}\n`);
    return;
  }
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

