// The package's public API: the emulator in-process, built exactly as the CLI builds it.
import { startApp } from './app.js';
import { configFromOptions, ConfigError, type EmulatorOptions } from './config.js';
import { CONTROL_PREFIX } from './emulator/routes.js';

export { ConfigError, type EmulatorOptions };

export interface Emulator {
  /** The origin it answers at, e.g. http://127.0.0.1:49152 (PUBLIC_URL when given). */
  readonly url: string;
  /** The Cloudflare API base: the `baseURL` to give the Cloudflare SDK (`url` + /client/v4). */
  readonly apiUrl: string;
  /** The port it listens on (the one picked when `port` was 0). */
  readonly port: number;
  /** Empties one account (its data, journal entries and fault rules), or every account when none is given. */
  reset(accountId?: string): Promise<void>;
  /** Stops everything it started: the server, the Shared Signals worker and its timers, and the database. */
  close(): Promise<void>;
}

/**
 * Starts an emulator in this process. The options are the CLI's in camelCase (`port`, `host`, `databasePath`,
 * `logLevel`, ...), with its defaults and its checks; the environment is not read. Rejects with a ConfigError
 * naming the option, the port or the database when one cannot be used (the message the CLI prints).
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const config = configFromOptions(options);
  const { app, port, origin: url } = await startApp(config);
  const headers = config.adminToken === undefined ? {} : { authorization: `Bearer ${config.adminToken}` };
  return {
    url,
    apiUrl: `${url}/client/v4`,
    port,
    async reset(accountId) {
      const res = await app.inject({ method: 'POST', url: accountId === undefined ? `${CONTROL_PREFIX}/reset` : `${CONTROL_PREFIX}/accounts/${encodeURIComponent(accountId)}/reset`, headers });
      if (res.statusCode !== 200) {
        const errors = (res.json() as { errors?: Array<{ message: string }> }).errors ?? [];
        throw new Error(`reset ${accountId ?? 'of every account'} failed: ${errors.map((e) => e.message).join('; ') || res.statusCode}`);
      }
    },
    close: () => app.close(),
  };
}
