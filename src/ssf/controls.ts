// Emulator-only controls of the transmitter (under /__emulator/v1): the outbox, event profiles and key rotation.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { responses, success } from '../cloudflare/envelope.js';
import { ErrorCode, notFound } from '../cloudflare/errors.js';
import type { IntegrationLookup } from '../integrations/repository.js';
import type { KeyStore } from './keys.js';
import type { OutboxRecord, SsfRepository } from './repository.js';
import { AccountKeyParams, EventProfile, EventProfileBody, IntegrationIdParams, KeyInfo, OutboxEntry, OutboxQuery } from './schemas.js';
import type { Transmitter } from './transmitter.js';

export interface SsfControlsOptions {
  integrations: IntegrationLookup;
  repository: SsfRepository;
  keys: KeyStore;
  transmitter: Transmitter;
}

const TAG = 'Emulator: Shared Signals';

/** The outbox as shown: everything but the Authorization header a receiver gave for its pushes. */
function toWire(entry: OutboxRecord) {
  const { seq: _seq, authorization: _authorization, next_attempt_at: next, ...shown } = entry;
  return { ...shown, next_attempt_at: next === null ? null : new Date(next).toISOString() };
}

export const ssfControls: FastifyPluginAsync<SsfControlsOptions> = async (plugin, { integrations, repository, keys, transmitter }) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/ssf/outbox',
    {
      schema: {
        operationId: 'emulator-ssf-outbox-list',
        summary: 'Every SET issued, oldest first, with its delivery record; filter by account, integration, stream, status.',
        tags: [TAG],
        querystring: OutboxQuery,
        response: responses(Type.Array(OutboxEntry)),
      },
    },
    async (request) => {
      const { limit, ...filter } = request.query;
      return success(repository.list({ ...filter, limit: limit === undefined ? 100 : Number(limit) }).map(toWire));
    },
  );

  const profileOf = (integrationId: string) => {
    const own = repository.eventProfile(integrationId);
    return { integration_id: integrationId, event_profile: transmitter.profileOf(integrationId), source: own === null ? ('default' as const) : ('integration' as const) };
  };
  const integrationOf = (id: string) => {
    const integration = integrations.byId(id);
    if (!integration) throw notFound(ErrorCode.integrationNotFound, `Integration ${id} not found`);
    return integration;
  };

  app.get(
    '/ssf/integrations/:integration_id/event-profile',
    {
      schema: {
        operationId: 'emulator-ssf-event-profile-get',
        summary: 'The event an integration sends risk-level changes as (okta or caep), and where that comes from.',
        tags: [TAG],
        params: IntegrationIdParams,
        response: responses(EventProfile),
      },
    },
    async (request) => success(profileOf(integrationOf(request.params.integration_id).id)),
  );

  app.put(
    '/ssf/integrations/:integration_id/event-profile',
    {
      schema: {
        operationId: 'emulator-ssf-event-profile-set',
        summary: "Choose an integration's event profile; null follows the global SSF_EVENT_PROFILE again.",
        tags: [TAG],
        params: IntegrationIdParams,
        body: EventProfileBody,
        response: responses(EventProfile),
      },
    },
    async (request) => {
      const integration = integrationOf(request.params.integration_id);
      repository.setEventProfile(integration.account_tag, integration.id, request.body.event_profile);
      return success(profileOf(integration.id));
    },
  );

  app.get(
    '/accounts/:account_id/ssf/keys',
    {
      schema: {
        operationId: 'emulator-ssf-keys-list',
        summary: "The account's signing keys, newest first (the first one is created if there is none).",
        tags: [TAG],
        params: AccountKeyParams,
        response: responses(Type.Array(KeyInfo)),
      },
    },
    async (request) => success(await keys.list(request.params.account_id)),
  );

  app.post(
    '/accounts/:account_id/ssf/keys/rotate',
    {
      schema: {
        operationId: 'emulator-ssf-keys-rotate',
        summary: 'Rotate the signing key: new SETs use a new kid; old keys stay in the JWKS.',
        tags: [TAG],
        params: AccountKeyParams,
        response: responses(Type.Array(KeyInfo)),
      },
    },
    async (request) => success(await keys.rotate(request.params.account_id)),
  );
};
