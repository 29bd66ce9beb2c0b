// TypeBox schemas of the emulator's control API (/__emulator/v1/...).
import { Type, type Static } from '@sinclair/typebox';
import { AccountId } from '../cloudflare/identifiers.js';

export const StateDocument = Type.Object(
  {
    format: Type.Literal('cf-zt-risk-emulator/state'),
    version: Type.Literal(2),
    schema_version: Type.Integer({ description: 'The highest migration applied when the state was exported.' }),
    secrets: Type.Boolean({
      description:
        'Whether secrets are included (?secrets=true): the ssf_keys table (signing private keys), ssf_streams.authorization_header and ssf_outbox.authorization. When false they are left out, neither null nor redacted.',
    }),
    accounts: Type.Array(AccountId, { description: 'The accounts the document covers; an import replaces exactly these.' }),
    tables: Type.Record(
      Type.String(),
      Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'Rows as stored, in insertion order.' }),
      {
        description:
          'Every per-account table (one with an account_tag column): table name -> rows. ssf_outbox.seq is not carried: an import numbers the SETs in document order.',
      },
    ),
  },
  { description: 'State of one account or of all: what export answers, and what import and SEED_FILE read.' },
);

export const StateExportQuery = Type.Object({
  secrets: Type.Optional(
    Type.Unsafe<'true' | 'false'>({
      type: 'string',
      enum: ['true', 'false'],
      description:
        'true: include secrets (signing private keys, stream authorization_header, outbox authorization). Default false: they are left out, and an import of the document generates new keys.',
    }),
  ),
});

/** Import bodies are checked by the state repository (the tables are only known at run time). */
export const StateImportBody = Type.Object(
  {},
  {
    additionalProperties: true,
    description:
      'A state document as GET .../state answers it (its result, or the whole answer). Every row is checked as the API would check its values, and must name only rows of its own account in the document. Replaces the accounts it covers (PUT /state: everything), all or nothing; a problem is a 400, code 1410, with a JSON pointer.',
  },
);

export const ImportResult = Type.Object({
  accounts: Type.Array(Type.String(), { description: 'The accounts whose state was replaced.' }),
  rows: Type.Integer({ description: 'Rows written.' }),
});

export const Removed = Type.Object({ removed: Type.Integer() });

export const ControlAccountParams = Type.Object({ account_id: AccountId });

const ErrorOverride = Type.Object({
  code: Type.Integer({ minimum: 1000, maximum: Number.MAX_SAFE_INTEGER }),
  message: Type.String({ minLength: 1 }),
});

export const FaultRuleInput = Type.Object(
  {
    method: Type.Optional(
      Type.String({ pattern: '^(\\*|[A-Za-z]+)$', description: 'HTTP method to match, or "*" (the default) for any.' }),
    ),
    path: Type.String({
      minLength: 1,
      maxLength: 1000,
      description:
        'Path pattern, with or without /client/v4: "*" matches within a segment, "**" across segments, "{name}" one segment. E.g. /accounts/*/zt_risk_scoring/integrations/**',
    }),
    account: Type.Optional(AccountId),
    times: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Fire for the next N matching requests only (default: until removed).' })),
    probability: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Share of matching requests that fire, e.g. 0.3 (default 1).' }),
    ),
    status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599, description: 'Answer with this status and a Cloudflare failure envelope.' })),
    retry_after: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 86400, description: 'Retry-After header in seconds (default 1 for a 429).' }),
    ),
    latency_ms: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 120000, description: 'Wait this long first; alone, the request then proceeds normally.' }),
    ),
    disconnect: Type.Optional(Type.Boolean({ description: 'Close the connection without answering.' })),
    errors: Type.Optional(Type.Array(ErrorOverride, { minItems: 1, description: 'The failure errors to answer (default: one for the status).' })),
  },
  { additionalProperties: false },
);
export type FaultRuleInput = Static<typeof FaultRuleInput>;

export const FaultRule = Type.Object({
  id: Type.String(),
  method: Type.String(),
  path: Type.String(),
  account: Type.Union([Type.String(), Type.Null()]),
  times: Type.Union([Type.Integer(), Type.Null()]),
  remaining: Type.Union([Type.Integer(), Type.Null()], { description: 'How many more times it fires; null: unlimited.' }),
  probability: Type.Union([Type.Number(), Type.Null()]),
  status: Type.Union([Type.Integer(), Type.Null()]),
  retry_after: Type.Union([Type.Integer(), Type.Null()]),
  latency_ms: Type.Union([Type.Integer(), Type.Null()]),
  disconnect: Type.Boolean(),
  errors: Type.Union([Type.Array(ErrorOverride), Type.Null()]),
  hits: Type.Integer({ description: 'How many requests it has answered so far.' }),
});
export type FaultRule = Static<typeof FaultRule>;

export const FaultParams = Type.Object({ fault_id: Type.String({ minLength: 1, maxLength: 100 }) });
export const FaultQuery = Type.Object({ account: Type.Optional(AccountId) });

export const JournalQuery = Type.Object({
  account: Type.Optional(AccountId),
  method: Type.Optional(Type.String({ pattern: '^[A-Za-z]+$' })),
  path: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'A path pattern, as for fault rules.' })),
  status: Type.Optional(Type.String({ pattern: '^[1-5][0-9]{2}$' })),
  since: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'Only entries with a greater id.' })),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,7}$', description: 'At most this many (the newest).' })),
});
export type JournalQuery = Static<typeof JournalQuery>;

export const JournalClearQuery = Type.Pick(JournalQuery, ['account', 'method', 'path', 'status']);

export const JournalEntry = Type.Object({
  id: Type.Integer({ description: 'Increases by one per request; use it with ?since=.' }),
  time: Type.String({ format: 'date-time' }),
  method: Type.String(),
  path: Type.String({ description: 'As sent (with /client/v4 when the client used it), without the query.' }),
  query: Type.Union([Type.String(), Type.Null()]),
  account: Type.Union([Type.String(), Type.Null()]),
  status: Type.Integer(),
  duration_ms: Type.Number(),
  fault: Type.Union([Type.String(), Type.Null()], { description: 'The fault rule that answered, if any.' }),
  request: Type.Object({
    headers: Type.Record(Type.String(), Type.String(), { description: 'Credentials are [redacted].' }),
    body: Type.Unknown(),
  }),
  response: Type.Object({ content_type: Type.Union([Type.String(), Type.Null()]), body: Type.Unknown() }),
});

export const AccountSummary = Type.Object({
  account_id: AccountId,
  integrations: Type.Integer({ description: 'How many integrations it has.' }),
  users: Type.Integer({ description: 'How many users risk events were injected for.' }),
  requests: Type.Integer({ description: 'How many of its requests the journal holds.' }),
});
