// The Shared Signals transmitter feature: wires storage, keys, the transmitter, the push worker and the routes.
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.js';
import { ssfControls } from './controls.js';
import { DeliveryWorker } from './delivery.js';
import { KeyStore } from './keys.js';
import { PollWaiters } from './poll.js';
import { SsfRepository } from './repository.js';
import { ssfRoutes } from './routes.js';
import { Transmitter } from './transmitter.js';

export interface SharedSignalsOptions {
  config: Config;
}

export const sharedSignals: FastifyPluginAsync<SharedSignalsOptions> = async (app, { config }) => {
  const { db, integrations, integrationEvents, levelChanges, authorize, ssfBaseUrl, now, newId } = app.emulator;
  const repository = new SsfRepository(db);
  const keys = new KeyStore(repository, now);
  const waiters = new PollWaiters();
  const worker = new DeliveryWorker(
    repository,
    keys,
    { attempts: config.ssfDeliveryAttempts, retryDelayMs: config.ssfRetryDelayMs, timeoutMs: config.ssfDeliveryTimeoutMs },
    now,
    app.log.child({ feature: 'ssf' }),
  );
  const transmitter = new Transmitter({
    repository,
    ssfBaseUrl,
    defaultProfile: config.ssfEventProfile,
    listActive: (accountId) => integrations.listActive(accountId),
    now,
    newId,
    onEnqueued: (streamIds) => {
      worker.kick();
      waiters.notify(streamIds);
    },
  });

  const logFailure = (err: unknown) => app.log.error({ err }, 'Shared Signals transmitter failed to record SETs');
  const unsubscribe = [
    levelChanges.subscribe((change) => {
      try {
        transmitter.levelChanged(change);
      } catch (err) {
        logFailure(err);
      }
    }),
    integrationEvents.subscribe((event) => {
      try {
        transmitter.integrationChanged(event);
      } catch (err) {
        logFailure(err);
      }
    }),
  ];

  // Undelivered SETs from an earlier run go out as soon as the app is ready.
  app.addHook('onReady', async () => worker.kick());
  // Long polls answer before the server waits for in-flight requests; pushes in flight stop before the database closes.
  app.addHook('preClose', async () => waiters.close());
  app.addHook('onClose', async () => {
    for (const stop of unsubscribe) stop();
    await worker.stop();
  });

  await app.register(ssfRoutes, { integrations, repository, keys, transmitter, waiters, ssfBaseUrl, publicUrl: config.publicUrl, pollWaitMs: config.ssfPollWaitMs, authorize, now, newId });
  await app.register(ssfControls, { integrations, repository, keys, transmitter });
};
