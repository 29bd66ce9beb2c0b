// Path identifiers shared by every Cloudflare endpoint. A value that fails these is unroutable (7003/7000).
import { Type } from '@sinclair/typebox';

/** Cloudflare account ids (account tags) are 32 lower-case hex characters. */
const ACCOUNT_ID_PATTERN = '^[0-9a-f]{32}$';
export const ACCOUNT_ID = new RegExp(ACCOUNT_ID_PATTERN);

export const AccountId = Type.String({
  pattern: ACCOUNT_ID_PATTERN,
  description: 'Account identifier: 32 lower-case hexadecimal characters.',
});

export const AccountParams = Type.Object({ account_id: AccountId });

export const Uuid = Type.String({ format: 'uuid' });
