// The five Cloudflare operations on risk scores: behaviors get/put, summary, per-user risk, reset.
// Static segments (behaviors, summary, and the integrations feature's) win over /:user_id in Fastify's router.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AccountParams } from '../cloudflare/identifiers.js';
import { responses, responsesWithInfo, success } from '../cloudflare/envelope.js';
import { userNotFound, type RiskScores } from './scores.js';
import { Behaviors, RiskSummary, UpdateBehaviorsBody, UserParams, UserRisk } from './schemas.js';

export interface RiskRoutesOptions {
  risk: RiskScores;
}

const TAG = 'Zero Trust Risk Scoring';

/** Every row in one page: Cloudflare answers these reads without pagination parameters. */
function singlePage(count: number) {
  return { count, page: 1, per_page: count, total_count: count, total_pages: 1 };
}

export const riskRoutes: FastifyPluginAsync<RiskRoutesOptions> = async (plugin, { risk }) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/accounts/:account_id/zt_risk_scoring/behaviors',
    {
      config: { permission: 'read' },
      schema: {
        operationId: 'dlp-risk-score-behaviors-get',
        summary: 'Get all behaviors and associated configuration',
        description: "The account's risk behaviors keyed by behavior id; a fresh account has Cloudflare's defaults.",
        tags: [TAG],
        params: AccountParams,
        response: responses(Behaviors),
      },
    },
    async (request) => success({ behaviors: risk.behaviors(request.params.account_id) }),
  );

  app.put(
    '/accounts/:account_id/zt_risk_scoring/behaviors',
    {
      config: { permission: 'write' },
      schema: {
        operationId: 'dlp-risk-score-behaviors-put',
        summary: 'Update configuration for risk behaviors',
        description:
          'Sets enabled and risk_level of the behaviors given (an unknown id is a 400 and changes nothing); the others keep theirs. Answers the whole new catalogue. Users whose level changes are re-scored at once.',
        tags: [TAG],
        params: AccountParams,
        body: UpdateBehaviorsBody,
        response: responses(Behaviors),
      },
    },
    async (request) => {
      return success({ behaviors: risk.updateBehaviors(request.params.account_id, request.body.behaviors) });
    },
  );

  app.get(
    '/accounts/:account_id/zt_risk_scoring/summary',
    {
      config: { permission: 'pii' },
      schema: {
        operationId: 'dlp-risk-score-summary-get',
        summary: 'Get risk score info for all users in the account',
        description: 'One row per user with events since their last reset, most recent activity first.',
        tags: [TAG],
        params: AccountParams,
        response: responsesWithInfo(RiskSummary),
      },
    },
    async (request) => {
      const users = risk.summary(request.params.account_id);
      return { ...success({ users }), result_info: singlePage(users.length) };
    },
  );

  app.get(
    '/accounts/:account_id/zt_risk_scoring/:user_id',
    {
      config: { permission: 'pii' },
      schema: {
        operationId: 'dlp-risk-score-summary-get-for-user',
        summary: 'Get risk event/score information for a specific user',
        description:
          "The user's risk level (the highest level among enabled behaviors triggered since the last reset) and those events, newest first. 404 for a user no event was ever recorded for.",
        tags: [TAG],
        params: UserParams,
        response: responsesWithInfo(UserRisk),
      },
    },
    async (request) => {
      const { account_id, user_id } = request.params;
      const user = risk.user(account_id, user_id);
      if (!user) throw userNotFound(user_id);
      return { ...success(user), result_info: singlePage(user.events.length) };
    },
  );

  app.post(
    '/accounts/:account_id/zt_risk_scoring/:user_id/reset',
    {
      config: { permission: 'write' },
      schema: {
        operationId: 'dlp-risk-score-reset-post',
        summary: 'Clear the risk score for a particular user',
        description:
          "The user's level returns to low and their events so far stop counting; last_reset_time is set. 404 for a user no event was ever recorded for.",
        tags: [TAG],
        params: UserParams,
        response: responses(Type.Null()),
      },
    },
    async (request) => {
      const { account_id, user_id } = request.params;
      if (!risk.reset(account_id, user_id)) throw userNotFound(user_id);
      return success(null);
    },
  );
};
