// buildApp: the whole emulator as one Fastify instance; registers the shared parts, then each feature, in order.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import fastifyCors from '@fastify/cors';
import type { DestinationStream } from 'pino';
import { v4 as uuidv4 } from 'uuid';
import { ConfigError, publicOrigin, type Config } from './config.js';
import { latestVersion, migrate, openDatabase, readMigrations } from './db/database.js';
import { authorizer } from './cloudflare/auth.js';
import { CREDENTIAL_HEADERS } from './cloudflare/credentials.js';
import { clientErrorHandler, frameworkErrors, registerFailureHandlers } from './cloudflare/failures.js';
import { registerJsonBodyParser } from './cloudflare/jsonBody.js';
import { healthRoutes } from './health/routes.js';
import { docsRoutes, documentedRoutes } from './docs/routes.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { accountRoutes } from './emulator/accounts.js';
import { FaultRules } from './emulator/faults.js';
import { Journal } from './emulator/journal.js';
import { markInternal } from './emulator/requests.js';
import { seedFromFile, StateRepository } from './emulator/repository.js';
import { CONTROL_PREFIX, controlRoutes, requireAdminToken } from './emulator/routes.js';
import { IntegrationEvents } from './integrations/events.js';
import { integrationLookup, IntegrationRepository } from './integrations/repository.js';
import { integrationRoutes } from './integrations/routes.js';
import { integrationControls } from './integrations/controls.js';
import { integrationTables } from './integrations/state.js';
import { LevelChanges } from './risk/levelChanges.js';
import { RiskScores } from './risk/scores.js';
import { riskRoutes } from './risk/routes.js';
import { riskEventRoutes } from './risk/eventRoutes.js';
import { riskControls } from './risk/controls.js';
import { riskTables } from './risk/state.js';
import { sharedSignals } from './ssf/plugin.js';
import { ssfTables } from './ssf/state.js';
import { lazySchemaController } from './schemaCompilers.js';

export interface AppDeps {
  /** The clock; tests pin it. */
  now?: () => Date;
  /** Id generator for new objects; tests pin it. */
  newId?: () => string;
  /** Where logs go (stdout by default); tests capture them. */
  logStream?: DestinationStream;
  /** Draws for fault rules with a probability; tests pin it. */
  random?: () => number;
  /** Compile every route schema at ready(), as Fastify does by default, instead of on first use; tests use it. */
  eagerSchemas?: boolean;
  /** Where risk level changes are announced; tests publish and subscribe here. */
  levelChanges?: LevelChanges;
  /** Where integration changes are announced; tests subscribe here. */
  integrationEvents?: IntegrationEvents;
}

const API_PREFIX = '/client/v4';
/** The log levels at which an info line is written. */
const WRITES_INFO = new Set(['info', 'debug', 'trace']);
/** How paths are matched, by the app and by its documentation instance (src/docs/routes.ts). */
const ROUTER_OPTIONS = { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 1000 };

/** Serves every path both under the API base and without it: /client/v4/accounts/... ≡ /accounts/... */
function stripApiPrefix(url: string): string {
  if (url.startsWith(API_PREFIX) && (url.length === API_PREFIX.length || '/?'.includes(url[API_PREFIX.length] as string))) {
    return url.slice(API_PREFIX.length) || '/';
  }
  return url;
}

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? uuidv4;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(deps.logStream ? { stream: deps.logStream } : {}),
      // Credentials never reach the logs, whatever a serializer or a debug line includes.
      redact: {
        paths: CREDENTIAL_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`]),
        censor: '[redacted]',
      },
    },
    // One line per request (the onResponse hook below), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    clientErrorHandler,
    frameworkErrors,
    // Headers and body must arrive within REQUEST_TIMEOUT_MS (408 otherwise), checked every second or sooner.
    // Missing Host is refused by registerFailureHandlers, in the failure envelope.
    requestTimeout: config.requestTimeoutMs,
    http: {
      headersTimeout: config.requestTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.requestTimeoutMs),
      requireHostHeader: false,
    },
    rewriteUrl: (req) => stripApiPrefix(req.url ?? '/'),
    routerOptions: ROUTER_OPTIONS,
    bodyLimit: 1024 * 1024,
    // Fastify's compilers, compiling each schema once and on first use (src/schemaCompilers.ts).
    ...(deps.eagerSchemas ? {} : { schemaController: lazySchemaController() }),
    ajv: {
      // As strict as the real API: no coercion of "true" into true, every offending field reported.
      customOptions: { coerceTypes: false, allErrors: true, removeAdditional: false },
    },
  });

  const migrations = readMigrations();
  const db = openDatabase(config.databasePath, migrations);
  app.addHook('onClose', async () => {
    db.close();
  });
  migrate(db, migrations);

  // Computed once the port is known (PORT=0), not on every request.
  let ssfBase = config.ssfBaseUrl ?? publicOrigin(config);
  app.addHook('onListen', async () => {
    const address = app.server.address();
    if (address && typeof address === 'object') ssfBase = config.ssfBaseUrl ?? publicOrigin(config, address.port);
  });
  const ssfBaseUrl = () => ssfBase;

  // Method, path, status and time; never headers, so credentials stay out of the logs. Built only when written.
  // It also covers /docs requests, which the documentation instance answers on the hijacked reply.
  app.addHook('onResponse', (request, reply, done) => {
    if (WRITES_INFO.has(request.log.level)) {
      request.log.info(
        { method: request.method, url: request.originalUrl, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
        'request completed',
      );
    }
    done();
  });
  registerFailureHandlers(app, { closeGraceMs: Math.min(5000, config.requestTimeoutMs) });
  // Only JSON bodies: anything else is a 415 in the failure envelope, not a string the schema then rejects.
  app.removeContentTypeParser('text/plain');
  registerJsonBodyParser(app);
  // Noted from here on for the OpenAPI document, which is made on first request (src/docs/routes.ts).
  const documented = documentedRoutes(app);
  if (config.corsOrigins) {
    await app.register(fastifyCors, {
      origin: config.corsOrigins[0] === '*' ? '*' : config.corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      exposedHeaders: ['retry-after', 'x-emulator-fault'],
      maxAge: 600,
    });
  }

  // The features' state and rules, built before any route that serves them.
  const state = new StateRepository(db, [...integrationTables, ...riskTables, ...ssfTables]);
  if (config.seedFile !== undefined) {
    const loaded = seedFromFile(state, config.seedFile);
    app.log.info({ seedFile: config.seedFile, ...loaded }, `seeded ${loaded.rows} rows for ${loaded.accounts.length} accounts from ${config.seedFile}`);
  }
  const authorize = authorizer(config);
  const integrationEvents = deps.integrationEvents ?? new IntegrationEvents();
  const levelChanges = deps.levelChanges ?? new LevelChanges();
  const integrations = new IntegrationRepository(db, { now, newId, events: integrationEvents });
  const risk = new RiskScores(db, { levelChanges, now, newId });
  const ssf = sharedSignals({
    config,
    db,
    integrations: integrationLookup(integrations),
    integrationEvents,
    levelChanges,
    authorize,
    ssfBaseUrl,
    now,
    newId,
    log: app.log.child({ feature: 'ssf' }),
  });

  // Every request to the emulated API is journaled, and fault rules may answer it; the emulator's own routes
  // (controls, health, docs, the dashboard) are marked internal and are neither.
  // The journal observes the real process, so it reads the wall clock: reading the app's injectable clock on
  // every request would shift the times a pinned test clock gives the emulated objects.
  const journal = new Journal(config.journalSize, config.journalMaxBytes, Date.now);
  journal.install(app);
  const faults = new FaultRules(newId, deps.random ?? Math.random);
  faults.install(app);

  await app.register(async (own) => {
    markInternal(own);
    await own.register(healthRoutes, { db, expectedVersion: latestVersion(migrations) });
    await own.register(docsRoutes, { routes: documented, routerOptions: ROUTER_OPTIONS });
    await own.register(dashboardRoutes);
  });

  // Everything under Cloudflare's API base needs a credential (per AUTH_MODE), checked before the body is read.
  await app.register(async (api) => {
    // Callback style: no promise per request; a throw here still becomes the failure envelope.
    api.addHook('onRequest', (request, _reply, done) => {
      authorize(request);
      done();
    });
    await api.register(integrationRoutes, { repository: integrations, ssfBaseUrl });
    await api.register(riskRoutes, { risk });
  });
  await app.register(ssf.routes);

  // The emulator's control API: one plugin under /__emulator/v1, behind the admin token when there is one.
  await app.register(
    async (controls) => {
      markInternal(controls);
      requireAdminToken(controls, config.adminToken);
      await controls.register(controlRoutes, { state, journal, faults, onImported: ssf.stateReplaced });
      await controls.register(riskEventRoutes, { risk });
      await controls.register(ssf.controls);
      // The reads the dashboard makes (src/dashboard/), open to any script as well.
      await controls.register(accountRoutes, {
        stored: () => state.accounts(),
        integrations: () => integrations.countByAccount(),
        users: () => risk.userCounts(),
        requests: () => journal.requestsByAccount(),
      });
      await controls.register(integrationControls, { repository: integrations, ssfBaseUrl });
      await controls.register(riskControls, { risk });
    },
    { prefix: CONTROL_PREFIX },
  );

  return app;
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

/**
 * Builds the app and listens, as the CLI and startEmulator() both start it. A failure to listen is a ConfigError that
 * names the host and port, says what is wrong and what to do; the app is closed first.
 */
export async function startApp(config: Config, deps: AppDeps = {}): Promise<{ app: FastifyInstance; port: number; origin: string }> {
  const app = await buildApp(config, deps);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close().catch(() => undefined);
    throw new ConfigError(listenFailure(config, error), { cause: error });
  }
  const address = app.server.address();
  const port = address && typeof address === 'object' ? address.port : config.port;
  return { app, port, origin: publicOrigin(config, port) };
}
