// What both entries (server.ts for `npm start`, cli.ts for the `bin`) run: options -> buildApp -> listen;
// SIGTERM/SIGINT close gracefully.
import { buildApp } from './app.js';
import { ConfigError, loadConfig, OPTIONS, publicOrigin, type Config } from './config.js';
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

/** What a failed listen() means, in the user's terms. */
function listenFailure(config: Config, error: unknown): string {
  const code = String((error as { code?: unknown }).code ?? '');
  const where = `${config.host}:${config.port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the port is in use (EADDRINUSE), often by an emulator started earlier; stop it, or choose another port with --port (0 picks a free one)`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (EACCES); choose a port above 1023 with --port`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EINVAL':
      return `cannot listen on host ${JSON.stringify(config.host)}: not an address of this machine (${code}); use 127.0.0.1, 0.0.0.0 or one of its interfaces' addresses with --host`;
    default:
      return `cannot listen on ${where}: ${error instanceof Error ? error.message : String(error)}; check --host and --port`;
  }
}

export async function start(config: Config): Promise<void> {
  let app;
  try {
    app = await buildApp(config);
  } catch (error) {
    // A bad database, seed or tokens file: the same clear message and exit code as a bad option.
    if (error instanceof ConfigError) failStartup(config, error.message, error);
    failStartup(config, `cannot start: ${error instanceof Error ? error.message : String(error)}`, error);
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

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close().catch(() => undefined);
    failStartup(config, listenFailure(config, error), error);
  }
  const address = app.server.address();
  const port = address && typeof address === 'object' ? address.port : config.port;
  const origin = publicOrigin(config, port);
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

