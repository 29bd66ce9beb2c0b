// Emulator-only read of an account's integrations (under /__emulator/v1, registered in the control API's plugin):
// Cloudflare's wire format without Cloudflare credentials, which the dashboard does not have under AUTH_MODE=strict.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AccountParams } from '../cloudflare/identifiers.js';
import { responses, success } from '../cloudflare/envelope.js';
import type { IntegrationRepository } from './repository.js';
import { integrationOnWire } from './routes.js';
import { Integration } from './schemas.js';

export interface IntegrationControlsOptions {
  repository: IntegrationRepository;
  /** Base of well_known_url, as for the Cloudflare routes. */
  ssfBaseUrl: () => string;
}

export const integrationControls: FastifyPluginAsync<IntegrationControlsOptions> = async (plugin, { repository, ssfBaseUrl }) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/accounts/:account_id/integrations',
    {
      schema: {
        operationId: 'emulator-integrations-list',
        summary: "The account's integrations, in creation order, as Cloudflare's list answers them (no Cloudflare credential needed).",
        tags: ['Emulator controls'],
        params: AccountParams,
        response: responses(Type.Array(Integration)),
      },
    },
    async (request) => success(repository.list(request.params.account_id).map((record) => integrationOnWire(record, ssfBaseUrl()))),
  );
};
