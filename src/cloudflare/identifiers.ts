// Path identifiers shared by every Cloudflare endpoint. A value that fails these is unroutable (7003/7000).
import { Type } from '@sinclair/typebox';

/** Cloudflare account ids (account tags) are 32 lower-case hex characters. */
export const AccountId = Type.String({
  pattern: '^[0-9a-f]{32}$',
  description: 'Account identifier: 32 lower-case hexadecimal characters.',
});

export const AccountParams = Type.Object({ account_id: AccountId });

export const Uuid = Type.String({ format: 'uuid' });
