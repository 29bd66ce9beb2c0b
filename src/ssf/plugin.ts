// The Shared Signals transmitter feature: storage, keys, the transmitter and the push worker, wired once, and
// the two plugins that serve them: the public routes (discovery, JWKS, streams, poll) and the emulator controls.
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.js';
import type { Authorizer } from '../cloudflare/auth.js';
import type { Database } from '../db/database.js';
import type { IntegrationEvents } from '../integrations/events.js';
import type { IntegrationLookup } from '../integrations/repository.js';
import type { LevelChanges } from '../risk/levelChanges.js';
import { ssfControls } from './controls.js';
import { DeliveryWorker } from './delivery.js';
import { KeyStore } from './keys.js';
import { PollWaiters } from './poll.js';
import { PushPolicy } from './pushPolicy.js';
import { SsfRepository } from './repository.js';
import { ssfRoutes } from './routes.js';
import { Transmitter } from './transmitter.js';

export interface SharedSignalsDeps {
  config: Config;
  db: Database;
  integrations: IntegrationLookup;
  /** Subscribed to: an integration deactivated, reactivated or deleted changes what its streams receive. */
  integrationEvents: IntegrationEvents;
  /** Subscribed to: every change of a user's level becomes SETs. */
  levelChanges: LevelChanges;
  /** The credential check of AUTH_MODE, for the stream-management endpoints. */
  authorize: Authorizer;
  ssfBaseUrl: () => string;
  now: () => Date;
  newId: () => string;
  log: FastifyBaseLogger;
}

export interface SharedSignals {
  /** Discovery, JWKS, stream management and poll; starts the push worker when the app is ready. */
  routes: FastifyPluginAsync;
  /** The outbox, event profiles and key rotation, registered inside the control API's plugin. */
  controls: FastifyPluginAsync;
  /** After the control API imported state: every lane's oldest pending SET is due now. */
  stateReplaced: () => void;
}

export function sharedSignals(deps: SharedSignalsDeps): SharedSignals {
  const { config, integrations, now, newId, log } = deps;
  const repository = new SsfRepository(deps.db);
  const keys = new KeyStore(repository, now);
  const waiters = new PollWaiters();
  const policy = new PushPolicy(config.ssfPush, log);
  const worker = new DeliveryWorker(
    repository,
    keys,
    policy,
    {
      attempts: config.ssfDeliveryAttempts,
      retryDelayMs: config.ssfRetryDelayMs,
      timeoutMs: config.ssfDeliveryTimeoutMs,
      retention: config.ssfOutboxRetention,
    },
    now,
    log,
  );
  const transmitter = new Transmitter({
    repository,
    ssfBaseUrl: deps.ssfBaseUrl,
    defaultProfile: config.ssfEventProfile,
    listActive: integrations.activeIn,
    now,
    newId,
    pollWaitMs: config.ssfPollWaitMs,
    waiters,
    keys,
    policy,
    onEnqueued: (lanes) => {
      worker.kick();
      waiters.notify(lanes);
    },
  });

  const routes: FastifyPluginAsync = async (app) => {
    // Called inside the change's transaction: a SET that cannot be recorded fails the change with it.
    const unsubscribe = [
      deps.levelChanges.subscribe((change) => transmitter.levelChanged(change)),
      deps.integrationEvents.subscribe((event) => transmitter.integrationChanged(event)),
    ];
    // Undelivered SETs from an earlier run go out as soon as the app is ready.
    app.addHook('onReady', async () => worker.start());
    // Long polls answer before the server waits for in-flight requests; pushes in flight stop before the database closes.
    app.addHook('preClose', async () => waiters.close());
    app.addHook('onClose', async () => {
      for (const stop of unsubscribe) stop();
      await worker.stop();
    });
    await app.register(ssfRoutes, {
      integrations,
      repository,
      keys,
      transmitter,
      ssfBaseUrl: deps.ssfBaseUrl,
      publicUrl: config.publicUrl,
      authorize: deps.authorize,
    });
  };
  const controls: FastifyPluginAsync = async (app) => {
    await app.register(ssfControls, { integrations, repository, keys, transmitter });
  };
  return { routes, controls, stateReplaced: () => worker.start() };
}
