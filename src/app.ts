// buildApp: the whole emulator as one Fastify instance; registers the shared parts, then each feature.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifyCors from '@fastify/cors';
import type { DestinationStream } from 'pino';
import { v4 as uuidv4 } from 'uuid';
import { publicOrigin, type Config } from './config.js';
import { migrate, openDatabase, readMigrations, type Database } from './db/database.js';
import { healthRoutes } from './health/routes.js';
import { docsRoutes } from './docs/routes.js';
import { emulatorControls } from './emulator/plugin.js';
import type { Authorizer } from './emulator/auth.js';
import type { StateChanges } from './emulator/events.js';
import { clientErrorHandler, frameworkErrors, registerFailureHandlers } from './cloudflare/failures.js';
import { registerJsonBodyParser } from './cloudflare/jsonBody.js';
import { IntegrationEvents } from './integrations/events.js';
import { IntegrationRepository } from './integrations/repository.js';
import { LevelChanges } from './risk/levelChanges.js';
import { RiskScores } from './risk/scores.js';
import { riskRoutes } from './risk/routes.js';
import { riskEventRoutes } from './risk/eventRoutes.js';
import { integrationRoutes } from './integrations/routes.js';
import { openapiDocument } from './openapi.js';
import { sharedSignals } from './ssf/plugin.js';
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
}

const API_PREFIX = '/client/v4';
const CREDENTIAL_HEADERS = ['authorization', 'x-auth-key', 'x-auth-email'];

/** Serves Cloudflare's paths both under the API base and without it: /client/v4/accounts/... ≡ /accounts/... */
function stripApiPrefix(url: string): string {
  if (url.startsWith(API_PREFIX) && (url.length === API_PREFIX.length || '/?'.includes(url[API_PREFIX.length] as string))) {
    return url.slice(API_PREFIX.length) || '/';
  }
  return url;
}

/** The app's shared parts, reachable from tests and from features registered later in buildApp. */
export interface EmulatorContext {
  db: Database;
  integrations: IntegrationRepository;
  integrationEvents: IntegrationEvents;
  levelChanges: LevelChanges;
  /** Announces resets and imports of per-account state by the control API. */
  stateChanges: StateChanges;
  /** The credential check of AUTH_MODE, for features whose paths carry no account id. */
  authorize: Authorizer;
  ssfBaseUrl: () => string;
  now: () => Date;
  newId: () => string;
}

declare module 'fastify' {
  interface FastifyInstance {
    emulator: EmulatorContext;
  }
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
    rewriteUrl: (req) => stripApiPrefix(req.url ?? '/'),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    bodyLimit: 1024 * 1024,
    // Fastify's compilers, compiling each schema once and on first use (src/schemaCompilers.ts).
    ...(deps.eagerSchemas ? {} : { schemaController: lazySchemaController() }),
    ajv: {
      // As strict as the real API: no coercion of "true" into true, every offending field reported.
      customOptions: { coerceTypes: false, allErrors: true, removeAdditional: false },
    },
  });

  const db = openDatabase(config.databasePath);
  app.addHook('onClose', async () => {
    db.close();
  });
  const migrations = readMigrations();
  migrate(db, migrations);

  // Computed once the port is known (PORT=0), not on every request.
  let ssfBase = config.ssfBaseUrl ?? publicOrigin(config);
  app.addHook('onListen', async () => {
    const address = app.server.address();
    if (address && typeof address === 'object') ssfBase = config.ssfBaseUrl ?? publicOrigin(config, address.port);
  });
  const ssfBaseUrl = () => ssfBase;

  // Method, path, status and time; never headers, so credentials stay out of the logs.
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      { method: request.method, url: request.originalUrl, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
      'request completed',
    );
    done();
  });
  registerFailureHandlers(app);
  // Only JSON bodies: anything else is a 415 in the failure envelope, not a string the schema then rejects.
  app.removeContentTypeParser('text/plain');
  registerJsonBodyParser(app);
  await app.register(fastifySwagger, { openapi: openapiDocument() });
  if (config.corsOrigins) {
    await app.register(fastifyCors, {
      origin: config.corsOrigins[0] === '*' ? '*' : config.corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      exposedHeaders: ['retry-after', 'x-emulator-fault'],
      maxAge: 600,
    });
  }
  const controls = await emulatorControls(app, config, { db, now, newId, random: deps.random ?? Math.random });

  const integrations = new IntegrationRepository(db, { now, newId });
  const integrationEvents = new IntegrationEvents();
  const levelChanges = new LevelChanges();
  const { stateChanges } = controls;
  app.decorate('emulator', { db, integrations, integrationEvents, levelChanges, stateChanges, authorize: controls.authorize, ssfBaseUrl, now, newId });

  const risk = new RiskScores(db, { levelChanges, now, newId });

  await app.register(healthRoutes, { db, expectedVersion: Math.max(0, ...migrations.map((m) => m.version)) });
  await app.register(docsRoutes);

  // Everything under Cloudflare's API base needs a credential (per AUTH_MODE), checked before the body is read.
  await app.register(async (api) => {
    // Callback style: no promise and microtask per request; a throw here still becomes the failure envelope.
    api.addHook('onRequest', (request, _reply, done) => {
      controls.authorize(request);
      done();
    });
    await api.register(integrationRoutes, { repository: integrations, ssfBaseUrl, events: integrationEvents });
    await api.register(riskRoutes, { risk });
  });
  await app.register(sharedSignals, { config });
  await app.register(riskEventRoutes, { risk });

  return app;
}
