// Emulator-only reads of risk scores (under /__emulator/v1, registered in the control API's plugin): every user of
// an account with their level, and the behavior catalogue, without Cloudflare credentials (the dashboard has none).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AccountParams } from '../cloudflare/identifiers.js';
import { responses, success } from '../cloudflare/envelope.js';
import type { RiskScores } from './scores.js';
import { AccountUser, Behaviors } from './schemas.js';

export interface RiskControlsOptions {
  risk: RiskScores;
}

const TAG = 'Emulator controls';

export const riskControls: FastifyPluginAsync<RiskControlsOptions> = async (plugin, { risk }) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/accounts/:account_id/users',
    {
      schema: {
        operationId: 'emulator-risk-users-list',
        summary: 'Every user risk events were injected for, first seen first, with their current level, events since the last reset, and that reset.',
        description:
          "Unlike Cloudflare's summary, a user whose score was reset is listed too (level low, no events, last_reset_time set).",
        tags: [TAG],
        params: AccountParams,
        response: responses(Type.Array(AccountUser)),
      },
    },
    async (request) => success(risk.users(request.params.account_id)),
  );

  app.get(
    '/accounts/:account_id/risk-behaviors',
    {
      schema: {
        operationId: 'emulator-risk-behaviors-get',
        summary: "The account's risk behaviors, as Cloudflare's behaviors read answers them (no Cloudflare credential needed).",
        tags: [TAG],
        params: AccountParams,
        response: responses(Behaviors),
      },
    },
    async (request) => success({ behaviors: risk.behaviors(request.params.account_id) }),
  );
};
