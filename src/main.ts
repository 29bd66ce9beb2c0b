// What both entries (server.ts for `npm start`, cli.ts for the `bin`) run: options -> startApp (as startEmulator
// does) -> the ready line; SIGTERM/SIGINT close gracefully; a start-up failure is one error line and exit 2.
import { startApp } from './app.js';
import { ConfigError, loadConfig, OPTIONS, type Config } from './config.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './package.js';

/**
 * Every start-up failure ends here: one `error:` line naming what is wrong and what to do, exit code 2. The
 * stack only helps with the emulator's own bugs, so it is shown at debug level and below.
 */
function failStartup(config: Pick<Config, 'logLevel'>, message: string, error: unknown): never {
  console.error(`error: ${message}`);
  if (config.logLevel === 'debug' || config.logLevel === 'trace') {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    if (cause instanceof Error && cause.stack) console.error(cause.stack);
  }
  process.exit(2);
}

export async function start(config: Config): Promise<void> {
  let started;
  try {
    started = await startApp(config);
  } catch (error) {
    // A bad database, seed or tokens file, a port in use: the same clear message and exit code as a bad option.
    if (error instanceof ConfigError) failStartup(config, error.message, error);
    failStartup(config, `cannot start: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  const { app, origin } = started;
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
  // The one line a user waits for, shown at every level but silent (LOG_LEVEL=warn hides only the chatter).
  if (config.logLevel === 'silent') return;
  app.log.child({}, { level: 'info' }).info(
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
    if (error instanceof ConfigError) failStartup({ logLevel: 'info' }, error.message, error);
    throw error;
  }
  await start(config);
}

