// Emulator-only: inject risk events, the detections Cloudflare would make itself, so tests can cause scores.
// Outside Cloudflare's paths and credentials: POST /__emulator/v1/accounts/{account_id}/risk-events (registered in
// the control API's plugin, which gives the prefix).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AccountParams } from '../cloudflare/identifiers.js';
import { responses, success } from '../cloudflare/envelope.js';
import { ApiError } from '../cloudflare/errors.js';
import { validationErrors } from '../cloudflare/failures.js';
import type { RiskScores } from './scores.js';
import { InjectBody, NewRiskEvent, NewRiskEvents, RecordedEvent } from './schemas.js';

export interface RiskEventRoutesOptions {
  risk: RiskScores;
}

type AjvErrors = Parameters<typeof validationErrors>[0];

/**
 * The body is one event or an array of them. Validating against the union would report both shapes' errors;
 * re-validating against the shape actually sent reports only what is wrong with it.
 */
function bodyFailure(request: FastifyRequest): ApiError | Error | undefined {
  const failure = request.validationError;
  if (!failure) return undefined;
  if ((failure as { validationContext?: string }).validationContext !== 'body') return failure;
  const validate = request.compileValidationSchema(Array.isArray(request.body) ? NewRiskEvents : NewRiskEvent, 'body');
  if (validate(request.body)) return failure;
  return new ApiError(400, validationErrors((validate.errors ?? []) as AjvErrors));
}

export const riskEventRoutes: FastifyPluginAsync<RiskEventRoutesOptions> = async (plugin, { risk }) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/accounts/:account_id/risk-events',
    {
      attachValidation: true,
      schema: {
        operationId: 'emulator-risk-events-inject',
        summary: 'Inject risk events (emulator only)',
        description:
          "Records that users triggered risk behaviors, as Cloudflare's detections would. Send one event (an object; the result is the recorded event) or several (an array, recorded in order, all or none; the result is an array). An event of a disabled behavior is recorded but does not raise the user's level. Every change of a user's level is published to the emulator's subscribers (e.g. the Shared Signals transmitter).",
        tags: ['Emulator: risk events'],
        params: AccountParams,
        body: InjectBody,
        response: responses(Type.Union([RecordedEvent, Type.Array(RecordedEvent)])),
      },
    },
    async (request) => {
      const failure = bodyFailure(request);
      if (failure) throw failure;
      const { body } = request;
      const events = Array.isArray(body) ? body : [body];
      const recorded = risk.inject(request.params.account_id, events, (index) => (Array.isArray(body) ? `/${index}` : ''));
      return success(Array.isArray(body) ? recorded : recorded[0]);
    },
  );
};
