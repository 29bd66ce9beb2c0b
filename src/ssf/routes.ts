// The transmitter's public face: the well-known documents, the JWKS, SSF 1.0 stream management and RFC 8936 poll.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { FailureEnvelope } from '../cloudflare/envelope.js';
import type { Authorizer } from '../cloudflare/auth.js';
import { ErrorCode, notFound, type ApiError } from '../cloudflare/errors.js';
import type { IntegrationLookup, IntegrationRecord } from '../integrations/repository.js';
import { EVENTS_SUPPORTED } from './events.js';
import type { KeyStore } from './keys.js';
import { POLL, PUSH, type SsfRepository, type StreamRecord } from './repository.js';
import {
  CreateStreamBody,
  IntegrationIdParams,
  Jwks,
  PollBody,
  PollParams,
  PollResponse,
  RequiredStreamQuery,
  StreamConfiguration,
  StreamQuery,
  StreamStatus,
  SubjectBody,
  TransmitterConfiguration,
  UpdateStatusBody,
  UpdateStreamBody,
  VerifyBody,
} from './schemas.js';
import { issuerOf, subjectKey, type Transmitter } from './transmitter.js';

export interface SsfRoutesOptions {
  integrations: IntegrationLookup;
  repository: SsfRepository;
  keys: KeyStore;
  transmitter: Transmitter;
  ssfBaseUrl: () => string;
  /** PUBLIC_URL when set: where jwks_uri and the endpoints point; otherwise the origin the request came to. */
  publicUrl: string | undefined;
  authorize: Authorizer;
}

const DISCOVERY_TAG = 'Shared Signals discovery';
const STREAM_TAG = 'Shared Signals streams (SSF 1.0)';
const failures = { '4xx': FailureEnvelope } as const;
// void, so that handlers answer with an empty body: reply.send(); type 'null' documents it without content.
const emptyBody = (description: string) => Type.Unsafe<void>({ type: 'null', description });
const noContent = { 204: emptyBody('No content.'), ...failures } as const;

function integrationNotFound(id: string): ApiError {
  return notFound(ErrorCode.integrationNotFound, `Integration ${id} not found`);
}

function streamNotFound(id: string): ApiError {
  return notFound(ErrorCode.ssfStreamNotFound, `Stream ${id} not found`);
}

export const ssfRoutes: FastifyPluginAsync<SsfRoutesOptions> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const { integrations, repository, keys, transmitter } = options;

  const originOf = (request: FastifyRequest) => options.publicUrl ?? `${request.protocol}://${request.host}`;
  const endpoint = (request: FastifyRequest, integrationId: string, path: string) =>
    `${originOf(request)}/ssf/${integrationId}${path}`;

  const integrationOf = (id: string): IntegrationRecord => {
    const integration = integrations.byId(id);
    if (!integration) throw integrationNotFound(id);
    return integration;
  };
  const streamOf = (integration: IntegrationRecord, streamId: string): StreamRecord => {
    const stream = repository.stream(integration.id, streamId);
    if (!stream) throw streamNotFound(streamId);
    return stream;
  };

  const toWire = (request: FastifyRequest, integration: IntegrationRecord, stream: StreamRecord): StreamConfiguration => ({
    stream_id: stream.stream_id,
    iss: issuerOf(options.ssfBaseUrl(), integration.id),
    aud: integration.tenant_url,
    events_supported: EVENTS_SUPPORTED,
    ...(stream.events_requested === null ? {} : { events_requested: stream.events_requested }),
    events_delivered: transmitter.eventsDelivered(stream),
    delivery: {
      method: stream.delivery_method,
      endpoint_url:
        stream.delivery_method === PUSH
          ? (stream.endpoint_url as string)
          : endpoint(request, integration.id, `/streams/${encodeURIComponent(stream.stream_id)}/poll`),
    },
    ...(stream.description === null ? {} : { description: stream.description }),
  });

  // ---- discovery: no credentials, as a receiver fetches it when registering the transmitter
  const discovery = (name: string, operationId: string, description: string) =>
    app.get(
      `/.well-known/${name}/:integration_id`,
      {
        schema: {
          operationId,
          summary: `Transmitter configuration of an integration (${name}).`,
          description,
          tags: [DISCOVERY_TAG],
          security: [],
          params: IntegrationIdParams,
          response: { 200: TransmitterConfiguration, ...failures },
        },
      },
      async (request) => {
        const integration = integrationOf(request.params.integration_id);
        const at = (path: string) => endpoint(request, integration.id, path);
        return {
          spec_version: '1_0',
          issuer: issuerOf(options.ssfBaseUrl(), integration.id),
          jwks_uri: at('/jwks'),
          delivery_methods_supported: [PUSH, POLL],
          configuration_endpoint: at('/streams'),
          status_endpoint: at('/streams/status'),
          add_subject_endpoint: at('/streams/subjects/add'),
          remove_subject_endpoint: at('/streams/subjects/remove'),
          verification_endpoint: at('/streams/verify'),
          authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6750' }],
          default_subjects: 'ALL',
        };
      },
    );
  discovery('sse-configuration', 'ssf-sse-configuration-get', "The integration's well_known_url (the 2021 draft's name, as Cloudflare serves it).");
  discovery('ssf-configuration', 'ssf-configuration-get', 'The same document under the SSF 1.0 final name.');

  app.get(
    '/ssf/:integration_id/jwks',
    {
      schema: {
        operationId: 'ssf-jwks-get',
        summary: "The account's SET verification keys (JWKS), the current one first, retired ones kept.",
        tags: [DISCOVERY_TAG],
        security: [],
        params: IntegrationIdParams,
        response: { 200: { content: { 'application/jwk-set+json': { schema: Jwks } } }, ...failures },
      },
    },
    async (request, reply) => {
      const integration = integrationOf(request.params.integration_id);
      return reply.type('application/jwk-set+json').send(await keys.jwks(integration.account_tag));
    },
  );

  // ---- stream management: any well-formed bearer token (or Cloudflare key pair), as on the API
  await app.register(async (scoped) => {
    const streams = scoped.withTypeProvider<TypeBoxTypeProvider>();
    // Credentials per AUTH_MODE, checked against the integration's account (strict mode needs Zero Trust Write).
    streams.addHook('onRequest', async (request) => {
      const id = (request.params as { integration_id?: string }).integration_id;
      options.authorize(request, id === undefined ? undefined : integrations.byId(id)?.account_tag);
    });

    streams.post(
      '/ssf/:integration_id/streams',
      {
        schema: {
          operationId: 'ssf-stream-create',
          summary: 'Create a stream (SSF 1.0 §8.1.1.1).',
          description: 'Delivery defaults to poll. default_subjects is ALL: every user of the account, unless removed.',
          tags: [STREAM_TAG],
          params: IntegrationIdParams,
          body: CreateStreamBody,
          response: { 201: StreamConfiguration, ...failures },
        },
      },
      async (request, reply) => {
        const integration = integrationOf(request.params.integration_id);
        return reply.code(201).send(toWire(request, integration, transmitter.createStream(integration, request.body)));
      },
    );

    streams.get(
      '/ssf/:integration_id/streams',
      {
        schema: {
          operationId: 'ssf-stream-read',
          summary: 'Read one stream (with stream_id) or all streams of the integration (SSF 1.0 §8.1.1.2).',
          tags: [STREAM_TAG],
          params: IntegrationIdParams,
          querystring: StreamQuery,
          response: { 200: Type.Union([StreamConfiguration, Type.Array(StreamConfiguration)]), ...failures },
        },
      },
      async (request) => {
        const integration = integrationOf(request.params.integration_id);
        const { stream_id } = request.query;
        if (stream_id !== undefined) return toWire(request, integration, streamOf(integration, stream_id));
        return repository.streams(integration.id).map((s) => toWire(request, integration, s));
      },
    );

    const update = (replace: boolean) => async (request: FastifyRequest<{ Params: { integration_id: string }; Body: UpdateStreamBody }>) => {
      const integration = integrationOf(request.params.integration_id);
      const stream = streamOf(integration, request.body.stream_id);
      return toWire(request, integration, transmitter.updateStream(stream, request.body, replace));
    };
    streams.patch(
      '/ssf/:integration_id/streams',
      {
        schema: {
          operationId: 'ssf-stream-update',
          summary: 'Update a stream: only the properties given change (SSF 1.0 §8.1.1.3).',
          tags: [STREAM_TAG],
          params: IntegrationIdParams,
          body: UpdateStreamBody,
          response: { 200: StreamConfiguration, ...failures },
        },
      },
      update(false),
    );
    streams.put(
      '/ssf/:integration_id/streams',
      {
        schema: {
          operationId: 'ssf-stream-replace',
          summary: 'Replace a stream: omitted properties return to their defaults (SSF 1.0 §8.1.1.4).',
          tags: [STREAM_TAG],
          params: IntegrationIdParams,
          body: UpdateStreamBody,
          response: { 200: StreamConfiguration, ...failures },
        },
      },
      update(true),
    );

    streams.delete(
      '/ssf/:integration_id/streams',
      {
        schema: {
          operationId: 'ssf-stream-delete',
          summary: 'Delete a stream; its undelivered SETs are canceled (SSF 1.0 §8.1.1.5).',
          tags: [STREAM_TAG],
          params: IntegrationIdParams,
          querystring: RequiredStreamQuery,
          response: noContent,
        },
      },
      async (request, reply) => {
        const integration = integrationOf(request.params.integration_id);
        repository.deleteStream(streamOf(integration, request.query.stream_id).stream_id);
        return reply.code(204).send();
      },
    );

    const statusOf = (stream: StreamRecord) => ({
      stream_id: stream.stream_id,
      status: stream.status,
      ...(stream.reason === null ? {} : { reason: stream.reason }),
    });
    streams.get(
      '/ssf/:integration_id/streams/status',
      {
        schema: {
          operationId: 'ssf-stream-status-get',
          summary: "A stream's status (SSF 1.0 §8.1.2.1).",
          tags: [STREAM_TAG],
          params: IntegrationIdParams,
          querystring: RequiredStreamQuery,
          response: { 200: StreamStatus, ...failures },
        },
      },
      async (request) => statusOf(streamOf(integrationOf(request.params.integration_id), request.query.stream_id)),
    );
    streams.post(
      '/ssf/:integration_id/streams/status',
      {
        schema: {
          operationId: 'ssf-stream-status-update',
          summary: "Change a stream's status (SSF 1.0 §8.1.2.2).",
          description: 'paused holds new SETs and enabled replays them in order; disabled drops them.',
          tags: [STREAM_TAG],
          params: IntegrationIdParams,
          body: UpdateStatusBody,
          response: { 200: StreamStatus, ...failures },
        },
      },
      async (request) => {
        const stream = streamOf(integrationOf(request.params.integration_id), request.body.stream_id);
        return statusOf(transmitter.setStatus(stream, request.body.status, request.body.reason ?? null));
      },
    );

    const setSubject = (integrationId: string, body: { stream_id: string; subject: Record<string, unknown> }, included: boolean) => {
      const stream = streamOf(integrationOf(integrationId), body.stream_id);
      repository.setSubject(stream, subjectKey(body.subject), body.subject, included);
    };
    streams.post(
      '/ssf/:integration_id/streams/subjects/add',
      {
        schema: {
          operationId: 'ssf-stream-subject-add',
          summary: 'Add a subject to a stream (SSF 1.0 §8.1.3.2); undoes an earlier removal.',
          tags: [STREAM_TAG],
          params: IntegrationIdParams,
          body: SubjectBody,
          response: { 200: emptyBody('Empty body.'), ...failures },
        },
      },
      async (request, reply) => {
        setSubject(request.params.integration_id, request.body, true);
        return reply.code(200).send();
      },
    );
    streams.post(
      '/ssf/:integration_id/streams/subjects/remove',
      {
        schema: {
          operationId: 'ssf-stream-subject-remove',
          summary: "Remove a subject from a stream: no more SETs about it (SSF 1.0 §8.1.3.3).",
          tags: [STREAM_TAG],
          params: IntegrationIdParams,
          body: SubjectBody,
          response: noContent,
        },
      },
      async (request, reply) => {
        setSubject(request.params.integration_id, request.body, false);
        return reply.code(204).send();
      },
    );

    streams.post(
      '/ssf/:integration_id/streams/verify',
      {
        schema: {
          operationId: 'ssf-stream-verify',
          summary: 'Ask for a verification SET echoing state (SSF 1.0 §8.1.4.2).',
          tags: [STREAM_TAG],
          params: IntegrationIdParams,
          body: VerifyBody,
          response: noContent,
        },
      },
      async (request, reply) => {
        const integration = integrationOf(request.params.integration_id);
        transmitter.verify(integration, streamOf(integration, request.body.stream_id), request.body.state);
        return reply.code(204).send();
      },
    );

    streams.post(
      '/ssf/:integration_id/streams/:stream_id/poll',
      {
        schema: {
          operationId: 'ssf-stream-poll',
          summary: "Poll a stream's SETs (RFC 8936): acknowledge, report errors, receive the next ones.",
          description:
            'Unacknowledged SETs are returned again by the next poll. Without returnImmediately=true an empty poll waits up to SSF_POLL_WAIT_MS for a SET.',
          tags: [STREAM_TAG],
          params: PollParams,
          body: PollBody,
          response: { 200: PollResponse, ...failures },
        },
      },
      async (request) => {
        const integration = integrationOf(request.params.integration_id);
        return transmitter.poll(streamOf(integration, request.params.stream_id), request.body);
      },
    );

    streams.post(
      '/ssf/:integration_id/poll',
      {
        schema: {
          operationId: 'ssf-tenant-poll',
          summary: "Poll the SETs held for the integration's tenant (RFC 8936): the pushes SSF_PUSH did not send.",
          description:
            "With SSF_PUSH=local (the default) a SET for a tenant that is not a local host is held in the outbox instead of pushed; a receiver or a test reads it here. Acknowledged SETs are done; the others come again. Without returnImmediately=true an empty poll waits up to SSF_POLL_WAIT_MS.",
          tags: [STREAM_TAG],
          params: IntegrationIdParams,
          body: PollBody,
          response: { 200: PollResponse, ...failures },
        },
      },
      async (request) => transmitter.pollHeld(integrationOf(request.params.integration_id), request.body),
    );
  });
};
