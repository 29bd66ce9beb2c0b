// Every option of the emulator, once: its env var, its CLI flag, its default and its validation.
// Nothing else in the codebase reads process.env. Precedence: CLI flag > env var > default.
import { PRINTABLE } from './cloudflare/credentials.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const AUTH_MODES = ['any', 'strict', 'off'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export interface Config {
  port: number;
  host: string;
  databasePath: string;
  logLevel: LogLevel;
  /** The origin users reach this server at; undefined means "derive it from HOST and the listening port". */
  publicUrl: string | undefined;
  /** Base of every `well_known_url`; undefined means "the public URL". */
  ssfBaseUrl: string | undefined;
  /** Event a risk-level change is sent as, unless an integration says otherwise. */
  ssfEventProfile: SsfEventProfile;
  /** How many times a pushed SET is tried before it is recorded as failed. */
  ssfDeliveryAttempts: number;
  /** Delay before the first retry; each further retry doubles it (capped at 5 minutes). */
  ssfRetryDelayMs: number;
  /** How long one push waits for the receiver's answer. */
  ssfDeliveryTimeoutMs: number;
  /** How long a poll without returnImmediately waits for a SET before answering an empty list. */
  ssfPollWaitMs: number;
  /** Which receivers SETs are pushed to: local hosts only, any host, or none (the rest wait in the outbox, held). */
  ssfPush: SsfPush;
  /** How many finished outbox entries (delivered, failed...) each integration keeps; older ones are pruned. */
  ssfOutboxRetention: number;
  /** A state document (an export) loaded at start-up; undefined loads nothing. */
  seedFile: string | undefined;
  /** How many requests the journal keeps; 0 turns it off. */
  journalSize: number;
  /** The most bytes the journal's entries may hold in all (oldest dropped first). */
  journalMaxBytes: number;
  /** How long a request's headers and body may take to arrive before it is answered 408 and closed. */
  requestTimeoutMs: number;
  /** When set, every /__emulator/v1/ call needs `Authorization: Bearer <this>`. */
  adminToken: string | undefined;
  authMode: AuthMode;
  /** JSON file of credentials for AUTH_MODE=strict. */
  tokensFile: string | undefined;
  /** The same JSON inline (for an environment variable); used when tokensFile is unset. */
  tokens: string | undefined;
  /** Origins allowed by CORS: undefined is off, ['*'] any origin. */
  corsOrigins: string[] | undefined;
}

export const SSF_EVENT_PROFILES = ['okta', 'caep'] as const;
export type SsfEventProfile = (typeof SSF_EVENT_PROFILES)[number];
const SSF_PUSH_MODES = ['local', 'all', 'off'] as const;
export type SsfPush = (typeof SSF_PUSH_MODES)[number];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

interface OptionSpec<K extends keyof Config> {
  key: K;
  env: string;
  flag: string;
  /** Short alias flags, e.g. `--db` for `--database-path`. */
  aliases?: string[];
  description: string;
  /** The default as shown in `--help`; `parse` receives undefined when nothing was given. */
  defaultText: string;
  parse(raw: string | undefined, name: string): Config[K];
}

function fail(name: string, raw: string, expected: string): never {
  throw new ConfigError(`invalid value for ${name}: ${JSON.stringify(raw)} (expected ${expected})`);
}

function parseUrlOption(raw: string | undefined, name: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(name, raw, 'an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(name, raw, 'an absolute http(s) URL');
  if (url.search || url.hash) fail(name, raw, 'a URL without query or fragment');
  // Stored without a trailing slash so that `${base}/path` never doubles it.
  return url.toString().replace(/\/+$/, '');
}

function parseIntegerOption(fallback: number, min: number, max: number) {
  return (raw: string | undefined, name: string): number => {
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d{1,10}$/.test(raw) || Number(raw) < min || Number(raw) > max) fail(name, raw, `an integer from ${min} to ${max}`);
    return Number(raw);
  };
}

/** One of a fixed set of lower-case words, given in any case. */
function parseChoiceOption<T extends string>(choices: readonly T[], fallback: T) {
  return (raw: string | undefined, name: string): T => {
    if (raw === undefined || raw === '') return fallback;
    const choice = choices.find((c) => c === raw.toLowerCase());
    if (!choice) fail(name, raw, `one of ${choices.join(', ')}`);
    return choice;
  };
}

// `satisfies` keeps each spec's parse result tied to its key.
const SPECS = [
  {
    key: 'port',
    env: 'PORT',
    flag: '--port',
    aliases: ['-p'],
    description: 'TCP port to listen on (0 picks a free one)',
    defaultText: '4010',
    parse(raw, name) {
      if (raw === undefined || raw === '') return 4010;
      if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) fail(name, raw, 'an integer from 0 to 65535');
      return Number(raw);
    },
  } satisfies OptionSpec<'port'>,
  {
    key: 'host',
    env: 'HOST',
    flag: '--host',
    description: 'interface to bind (0.0.0.0 to accept connections from other hosts or containers)',
    defaultText: '127.0.0.1',
    parse(raw, name) {
      if (raw === undefined || raw === '') return '127.0.0.1';
      if (/\s/.test(raw)) fail(name, raw, 'a host name or IP address');
      return raw;
    },
  } satisfies OptionSpec<'host'>,
  {
    key: 'databasePath',
    env: 'DATABASE_PATH',
    flag: '--database-path',
    aliases: ['--db'],
    description: 'SQLite database file, created if missing; ":memory:" keeps nothing after exit',
    defaultText: './data/emulator.db',
    parse(raw) {
      return raw === undefined || raw === '' ? './data/emulator.db' : raw;
    },
  } satisfies OptionSpec<'databasePath'>,
  {
    key: 'logLevel',
    env: 'LOG_LEVEL',
    flag: '--log-level',
    description: `pino log level: ${LOG_LEVELS.join(', ')}`,
    defaultText: 'info',
    parse: parseChoiceOption(LOG_LEVELS, 'info'),
  } satisfies OptionSpec<'logLevel'>,
  {
    key: 'requestTimeoutMs',
    env: 'REQUEST_TIMEOUT_MS',
    flag: '--request-timeout-ms',
    description: 'a request whose headers or body do not arrive in time gets 408 and its connection is closed',
    defaultText: '30000',
    parse: parseIntegerOption(30_000, 100, 3_600_000),
  } satisfies OptionSpec<'requestTimeoutMs'>,
  {
    key: 'publicUrl',
    env: 'PUBLIC_URL',
    flag: '--public-url',
    description: 'origin clients reach the server at (used in well_known_url and the OpenAPI servers)',
    defaultText: 'http://HOST:PORT',
    parse: parseUrlOption,
  } satisfies OptionSpec<'publicUrl'>,
  {
    key: 'ssfBaseUrl',
    env: 'SSF_BASE_URL',
    flag: '--ssf-base-url',
    description:
      'base of every well_known_url and SSF issuer; https://ssf.risk-score.teams.cloudflare.com reproduces Cloudflare\'s values',
    defaultText: 'PUBLIC_URL',
    parse: parseUrlOption,
  } satisfies OptionSpec<'ssfBaseUrl'>,
  {
    key: 'ssfEventProfile',
    env: 'SSF_EVENT_PROFILE',
    flag: '--ssf-event-profile',
    description: 'event of a risk-level SET: okta (Okta user-risk-change) or caep (CAEP risk-level-change)',
    defaultText: 'okta',
    parse: parseChoiceOption(SSF_EVENT_PROFILES, 'okta'),
  } satisfies OptionSpec<'ssfEventProfile'>,
  {
    key: 'ssfDeliveryAttempts',
    env: 'SSF_DELIVERY_ATTEMPTS',
    flag: '--ssf-delivery-attempts',
    description: 'attempts to push one SET (network errors and 5xx are retried; 4xx never)',
    defaultText: '5',
    parse: parseIntegerOption(5, 1, 100),
  } satisfies OptionSpec<'ssfDeliveryAttempts'>,
  {
    key: 'ssfRetryDelayMs',
    env: 'SSF_RETRY_DELAY_MS',
    flag: '--ssf-retry-delay-ms',
    description: 'delay before the first retry of a push, doubled for each further retry (capped at 5 minutes)',
    defaultText: '1000',
    parse: parseIntegerOption(1000, 0, 300_000),
  } satisfies OptionSpec<'ssfRetryDelayMs'>,
  {
    key: 'ssfDeliveryTimeoutMs',
    env: 'SSF_DELIVERY_TIMEOUT_MS',
    flag: '--ssf-delivery-timeout-ms',
    description: 'how long one push waits for the receiver before it counts as a network error',
    defaultText: '10000',
    parse: parseIntegerOption(10_000, 1, 600_000),
  } satisfies OptionSpec<'ssfDeliveryTimeoutMs'>,
  {
    key: 'ssfPollWaitMs',
    env: 'SSF_POLL_WAIT_MS',
    flag: '--ssf-poll-wait-ms',
    description: 'how long an RFC 8936 poll with returnImmediately=false waits for a SET',
    defaultText: '30000',
    parse: parseIntegerOption(30_000, 0, 600_000),
  } satisfies OptionSpec<'ssfPollWaitMs'>,
  {
    key: 'ssfPush',
    env: 'SSF_PUSH',
    flag: '--ssf-push',
    description:
      'where SETs are pushed: local (loopback, private and link-local addresses, localhost, single-label and Docker host names), all, or off; the others wait in the outbox as held',
    defaultText: 'local',
    parse: parseChoiceOption(SSF_PUSH_MODES, 'local'),
  } satisfies OptionSpec<'ssfPush'>,
  {
    key: 'ssfOutboxRetention',
    env: 'SSF_OUTBOX_RETENTION',
    flag: '--ssf-outbox-retention',
    description: 'finished outbox entries (delivered, failed, acknowledged, dropped, canceled) kept per integration; older ones are pruned',
    defaultText: '1000',
    parse: parseIntegerOption(1000, 1, 1_000_000),
  } satisfies OptionSpec<'ssfOutboxRetention'>,
  {
    key: 'seedFile',
    env: 'SEED_FILE',
    flag: '--seed-file',
    aliases: ['--seed'],
    description: 'state document (as GET /__emulator/v1/state exports it) loaded at start-up; replaces the accounts it covers',
    defaultText: '(none)',
    parse(raw) {
      return raw === undefined || raw === '' ? undefined : raw;
    },
  } satisfies OptionSpec<'seedFile'>,
  {
    key: 'journalSize',
    env: 'JOURNAL_SIZE',
    flag: '--journal-size',
    description: 'how many requests the request journal keeps (oldest dropped first); 0 turns it off',
    // 200: what a test just did, and short-lived enough under sustained load that most entries never reach V8's
    // old generation (at 1,000, the churn cost ~10% of a GET's CPU and ~70 MB of RSS; docs/performance.md).
    defaultText: '200',
    parse: parseIntegerOption(200, 0, 1_000_000),
  } satisfies OptionSpec<'journalSize'>,
  {
    key: 'journalMaxBytes',
    env: 'JOURNAL_MAX_BYTES',
    flag: '--journal-max-bytes',
    description: "the most the journal's entries may take in all (oldest dropped first)",
    defaultText: '33554432',
    // At least 1 MiB: room for a few entries of the largest kind (64 KiB bodies each way, 16 KiB of headers).
    parse: parseIntegerOption(33_554_432, 1_048_576, 4_294_967_296),
  } satisfies OptionSpec<'journalMaxBytes'>,
  {
    key: 'adminToken',
    env: 'EMULATOR_ADMIN_TOKEN',
    flag: '--admin-token',
    description: 'when set, the control API under /__emulator/v1/ needs "Authorization: Bearer <token>"',
    defaultText: '(none: open)',
    parse(raw, name) {
      if (raw === undefined) return undefined;
      // Set but empty is most likely a secret that did not arrive (an unset CI variable): refusing it beats
      // serving the control API open when a token was meant to close it.
      if (raw === '') throw new ConfigError(`${name} is set but empty; give it a token, or unset it to leave the control API open`);
      if (!PRINTABLE.test(raw)) fail(name, raw, 'printable ASCII without spaces');
      return raw;
    },
  } satisfies OptionSpec<'adminToken'>,
  {
    key: 'authMode',
    env: 'AUTH_MODE',
    flag: '--auth-mode',
    description:
      'any: any well-formed credential; strict: only credentials of TOKENS_FILE/TOKENS, with their accounts and permission groups; off: none needed',
    defaultText: 'any',
    parse: parseChoiceOption(AUTH_MODES, 'any'),
  } satisfies OptionSpec<'authMode'>,
  {
    key: 'tokensFile',
    env: 'TOKENS_FILE',
    flag: '--tokens-file',
    description: 'JSON file of the credentials AUTH_MODE=strict accepts (see README, "Auth modes")',
    defaultText: '(none)',
    parse(raw) {
      return raw === undefined || raw === '' ? undefined : raw;
    },
  } satisfies OptionSpec<'tokensFile'>,
  {
    key: 'tokens',
    env: 'TOKENS',
    flag: '--tokens',
    description: 'the same credentials as TOKENS_FILE, inline as JSON (used when TOKENS_FILE is unset)',
    defaultText: '(none)',
    parse(raw) {
      return raw === undefined || raw === '' ? undefined : raw;
    },
  } satisfies OptionSpec<'tokens'>,
  {
    key: 'corsOrigins',
    env: 'CORS_ORIGINS',
    flag: '--cors-origins',
    description: 'CORS for browser clients: "*" for any origin, or a comma-separated list of origins; empty is off',
    defaultText: '(off)',
    parse(raw, name) {
      if (raw === undefined || raw.trim() === '') return undefined;
      const origins = raw.split(',').map((o) => o.trim()).filter((o) => o !== '');
      if (origins.length === 1 && origins[0] === '*') return ['*'];
      for (const origin of origins) {
        let url: URL | undefined;
        try {
          url = new URL(origin);
        } catch {
          url = undefined;
        }
        if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin) {
          fail(name, raw, '"*" or comma-separated origins such as http://localhost:3000 (scheme, host, port; no path)');
        }
      }
      return origins;
    },
  } satisfies OptionSpec<'corsOrigins'>,
] as const;

export type OptionDescription = Pick<OptionSpec<keyof Config>, 'env' | 'flag' | 'aliases' | 'description' | 'defaultText'>;
export const OPTIONS: readonly OptionDescription[] = SPECS;

/** Splits `--flag value` / `--flag=value` arguments into a map keyed by canonical flag. */
function parseArgv(argv: readonly string[]): Map<string, string> {
  const byFlag = new Map<string, string>();
  for (const spec of SPECS) {
    byFlag.set(spec.flag, spec.flag);
    for (const alias of (spec as OptionDescription).aliases ?? []) byFlag.set(alias, spec.flag);
  }
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const name = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const canonical = byFlag.get(name);
    if (!canonical) throw new ConfigError(`unknown option ${JSON.stringify(name)} (see --help)`);
    let value: string | undefined;
    if (eq > 0 && arg.startsWith('--')) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new ConfigError(`option ${name} needs a value`);
    values.set(canonical, value);
  }
  return values;
}

/** Every option parsed from its raw text (undefined when not given) and named as the caller knows it; then checked as a whole. */
function configFrom(raw: (spec: OptionDescription & { key: keyof Config }) => { value: string | undefined; name: string }): Config {
  const out: Partial<Record<keyof Config, unknown>> = {};
  for (const spec of SPECS) {
    const { value, name } = raw(spec);
    out[spec.key] = spec.parse(value, name);
  }
  const config = out as Config;
  if (config.authMode === 'strict' && config.tokensFile === undefined && config.tokens === undefined) {
    throw new ConfigError('AUTH_MODE=strict needs the credentials it accepts: set TOKENS_FILE (--tokens-file) or TOKENS (--tokens)');
  }
  return config;
}

/** Builds the configuration from CLI arguments and an environment (process.env by default). */
export function loadConfig(argv: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Config {
  const flags = parseArgv(argv);
  return configFrom((spec) => {
    const fromFlag = flags.get(spec.flag);
    return fromFlag !== undefined ? { value: fromFlag, name: spec.flag } : { value: env[spec.env], name: spec.env };
  });
}

/** The options of startEmulator(): the CLI's options in camelCase, with the same defaults and checks. */
export type EmulatorOptions = { [K in keyof Config]?: Config[K] | (Config[K] extends string[] | undefined ? string : never) };

/** Builds the configuration from startEmulator()'s options, as loadConfig does from flags; the environment is not read. */
export function configFromOptions(options: EmulatorOptions): Config {
  const known = new Set<string>(SPECS.map((spec) => spec.key));
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new ConfigError(`unknown option ${JSON.stringify(key)} (options: ${[...known].join(', ')})`);
  }
  return configFrom((spec) => {
    const value = options[spec.key];
    return { value: value === undefined ? undefined : Array.isArray(value) ? value.join(',') : String(value), name: spec.key };
  });
}

/** A configuration for tests and embedding: defaults plus overrides, no env or argv involved. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig([], {}), databasePath: ':memory:', logLevel: 'silent', ...overrides };
}

/** The origin the server is reachable at, once it is known (after listen, when PORT=0). */
export function publicOrigin(config: Config, listeningPort?: number): string {
  if (config.publicUrl) return config.publicUrl;
  const wildcard = config.host === '0.0.0.0' || config.host === '::' || config.host === '';
  const host = wildcard ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${listeningPort ?? config.port}`;
}
