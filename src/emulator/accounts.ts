// GET /__emulator/v1/accounts: every account the emulator knows (some stored row, or a request in the journal),
// with how many integrations, users and journaled requests each has. The counts come from each feature.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { responses, success } from '../cloudflare/envelope.js';
import { ACCOUNT_ID } from '../cloudflare/identifiers.js';
import { AccountSummary } from './schemas.js';

export interface AccountRoutesOptions {
  /** The accounts with at least one stored row. */
  stored: () => string[];
  /** Per account, how many of each it has; an account absent from a map has none. */
  integrations: () => Map<string, number>;
  users: () => Map<string, number>;
  requests: () => Map<string, number>;
}

export const accountRoutes: FastifyPluginAsync<AccountRoutesOptions> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/accounts',
    {
      schema: {
        operationId: 'emulator-accounts-list',
        summary: 'Every account with stored data or journaled requests, by id, with its counts of integrations, users and requests.',
        tags: ['Emulator controls'],
        response: responses(Type.Array(AccountSummary)),
      },
    },
    async () => {
      const integrations = options.integrations();
      const users = options.users();
      const requests = options.requests();
      // The journal keeps any path's account segment; only real account ids make an account.
      const ids = new Set([...options.stored(), ...[...requests.keys()].filter((id) => ACCOUNT_ID.test(id))]);
      return success(
        [...ids].sort().map((id) => ({
          account_id: id,
          integrations: integrations.get(id) ?? 0,
          users: users.get(id) ?? 0,
          requests: requests.get(id) ?? 0,
        })),
      );
    },
  );
};
