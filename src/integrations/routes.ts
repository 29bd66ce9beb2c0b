// The six Cloudflare operations on risk score integrations.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AccountParams } from '../cloudflare/identifiers.js';
import { responses, success } from '../cloudflare/envelope.js';
import { ErrorCode, notFound } from '../cloudflare/errors.js';
import type { IntegrationRecord, IntegrationRepository } from './repository.js';
import {
  CreateIntegrationBody,
  Integration,
  IntegrationParams,
  ReferenceParams,
  UpdateIntegrationBody,
} from './schemas.js';

export interface IntegrationRoutesOptions {
  repository: IntegrationRepository;
  /** Base of well_known_url, e.g. https://ssf.risk-score.teams.cloudflare.com. */
  ssfBaseUrl: () => string;
}

const TAG = 'Zero Trust Risk Scoring Integrations';

function wellKnownUrl(ssfBaseUrl: string, integrationId: string): string {
  return `${ssfBaseUrl}/.well-known/sse-configuration/${integrationId}`;
}

/** An integration as Cloudflare's API answers it: the stored record with its derived well_known_url. */
export function integrationOnWire(record: IntegrationRecord, ssfBaseUrl: string): Integration {
  return {
    id: record.id,
    account_tag: record.account_tag,
    integration_type: record.integration_type,
    reference_id: record.reference_id,
    tenant_url: record.tenant_url,
    well_known_url: wellKnownUrl(ssfBaseUrl, record.id),
    active: record.active,
    created_at: record.created_at,
  };
}

function notFoundIntegration(id: string) {
  return notFound(ErrorCode.integrationNotFound, `Integration ${id} not found`);
}

export const integrationRoutes: FastifyPluginAsync<IntegrationRoutesOptions> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const { repository, ssfBaseUrl } = options;
  const toWire = (record: IntegrationRecord): Integration => integrationOnWire(record, ssfBaseUrl());

  app.get(
    '/accounts/:account_id/zt_risk_scoring/integrations',
    {
      config: { permission: 'read' },
      schema: {
        operationId: 'dlp-zt-risk-score-integration-list',
        summary: 'List all risk score integrations for the account.',
        tags: [TAG],
        params: AccountParams,
        response: responses(Type.Array(Integration)),
      },
    },
    async (request) => success(repository.list(request.params.account_id).map(toWire)),
  );

  app.post(
    '/accounts/:account_id/zt_risk_scoring/integrations',
    {
      config: { permission: 'write' },
      schema: {
        operationId: 'dlp-zt-risk-score-integration-create',
        summary: 'Create new risk score integration.',
        description: 'The new integration is always active. An omitted or null reference_id gets a fresh UUIDv4.',
        tags: [TAG],
        params: AccountParams,
        body: CreateIntegrationBody,
        response: responses(Integration),
      },
    },
    async (request) => {
      const { integration_type, tenant_url, reference_id } = request.body;
      const record = repository.create(request.params.account_id, {
        integrationType: integration_type,
        tenantUrl: tenant_url,
        referenceId: reference_id ?? undefined,
      });
      return success(toWire(record));
    },
  );

  app.get(
    '/accounts/:account_id/zt_risk_scoring/integrations/:integration_id',
    {
      config: { permission: 'read' },
      schema: {
        operationId: 'dlp-zt-risk-score-integration-get',
        summary: 'Get risk score integration by id.',
        tags: [TAG],
        params: IntegrationParams,
        response: responses(Integration),
      },
    },
    // Synchronous (SQLite answers synchronously): no promise per request on the hottest read.
    (request, reply) => {
      const { account_id, integration_id } = request.params;
      const record = repository.get(account_id, integration_id);
      if (!record) throw notFoundIntegration(integration_id);
      reply.send(success(toWire(record)));
    },
  );

  app.put(
    '/accounts/:account_id/zt_risk_scoring/integrations/:integration_id',
    {
      config: { permission: 'write' },
      schema: {
        operationId: 'dlp-zt-risk-score-integration-update',
        summary: 'Update a risk score integration.',
        description:
          'Overwrites tenant_url and active, and reference_id when given (omitted or null keeps the current one).',
        tags: [TAG],
        params: IntegrationParams,
        body: UpdateIntegrationBody,
        response: responses(Integration),
      },
    },
    async (request) => {
      const { account_id, integration_id } = request.params;
      const { tenant_url, active, reference_id } = request.body;
      const updated = repository.update(account_id, integration_id, {
        tenantUrl: tenant_url,
        active,
        referenceId: reference_id ?? undefined,
      });
      if (!updated) throw notFoundIntegration(integration_id);
      return success(toWire(updated.integration));
    },
  );

  app.delete(
    '/accounts/:account_id/zt_risk_scoring/integrations/:integration_id',
    {
      config: { permission: 'write' },
      schema: {
        operationId: 'dlp-zt-risk-score-integration-delete',
        summary: 'Delete a risk score integration.',
        tags: [TAG],
        params: IntegrationParams,
        response: responses(Type.Null()),
      },
    },
    async (request) => {
      const { account_id, integration_id } = request.params;
      const record = repository.delete(account_id, integration_id);
      if (!record) throw notFoundIntegration(integration_id);
      return success(null);
    },
  );

  app.get(
    '/accounts/:account_id/zt_risk_scoring/integrations/reference_id/:reference_id',
    {
      config: { permission: 'read' },
      schema: {
        operationId: 'dlp-zt-risk-score-integration-get-by-reference-id',
        summary: 'Get risk score integration by reference id.',
        tags: [TAG],
        params: ReferenceParams,
        response: responses(Integration),
      },
    },
    async (request) => {
      const { account_id, reference_id } = request.params;
      const record = repository.getByReference(account_id, reference_id);
      if (!record) throw notFound(ErrorCode.integrationNotFound, `No integration with reference_id ${JSON.stringify(reference_id)}`);
      return success(toWire(record));
    },
  );
};
