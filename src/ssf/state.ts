// The Shared Signals tables as a state document carries them: streams as the stream endpoints accept them, SETs as
// the transmitter builds them, signing keys that are the RSA keys they claim to be. Keys are secret, and so are
// the Authorization values receivers gave for their pushes.
import { createHash, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { Uuid } from '../cloudflare/identifiers.js';
import { Flag, nullable, type AccountTable, type RowProblem, type StoredRow } from '../db/accountTables.js';
import { EVENTS_SUPPORTED, type SetClaims } from './events.js';
import { PUSH } from './repository.js';
import { CreateStreamBody, EventProfileBody, Jwks, OutboxEntry, PollBody, SubjectBody, UpdateStatusBody, UpdateStreamBody } from './schemas.js';
import { subjectKey } from './transmitter.js';

const Time = Type.String({ format: 'date-time' });
const StreamId = UpdateStreamBody.properties.stream_id;
const StreamProperties = Type.Required(CreateStreamBody).properties;
const Delivery = Type.Required(StreamProperties.delivery).properties;
/** jti and txn: what a poll acknowledges by. */
const SetId = Type.Required(PollBody).properties.ack.items;
/** Keys are named by their RFC 7638 thumbprint (SHA-256, base64url). */
const Kid = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' });
const HttpStatus = Type.Integer({ minimum: 100, maximum: 599 });

const PrivateJwk = Type.Object(
  {
    kty: Type.Literal('RSA'),
    kid: Type.String(),
    alg: Type.Literal('RS256'),
    ...Object.fromEntries(['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'].map((member) => [member, Type.String({ minLength: 1 })])),
  },
  { additionalProperties: false },
);
const PublicJwk = Jwks.properties.keys.items;

/** RFC 8417 claims as the transmitter builds them: exactly one event, sub_id (SSF 1.0), no sub, no exp. */
const Claims = Type.Object(
  {
    iss: Type.String({ minLength: 1 }),
    aud: Type.String({ minLength: 1 }),
    iat: Type.Integer({ minimum: 0, maximum: 8.64e12 }),
    jti: Type.String(),
    txn: Type.String(),
    sub_id: Type.Union([
      Type.Object({ format: Type.Literal('email'), email: Type.String() }, { additionalProperties: false }),
      Type.Object({ format: Type.Literal('opaque'), id: Type.String() }, { additionalProperties: false }),
    ]),
    events: Type.Record(Type.String(), Type.Object({}), { minProperties: 1, maxProperties: 1 }),
  },
  { additionalProperties: false },
);

/** One object per push attempt (migrations/0004_ssf_delivery.sql). */
const AttemptLog = Type.Array(
  Type.Object(
    {
      at: Time,
      http_status: nullable(HttpStatus),
      error: nullable(Type.String()),
      answer: nullable(Type.String()),
      location: nullable(Type.String()),
    },
    { additionalProperties: false },
  ),
);

/** The statuses a SET goes through, by how it is delivered (src/ssf/repository.ts). */
const STATUSES: Record<string, readonly string[]> = {
  push: ['pending', 'delivered', 'failed', 'held', 'dropped', 'canceled'],
  poll: ['queued', 'acknowledged', 'failed', 'held', 'dropped', 'canceled'],
};
const FINISHED = new Set(['delivered', 'failed', 'acknowledged', 'dropped', 'canceled']);
/** A finished SET is kept for the record after its integration or stream is deleted; a live one acts on them. */
const finished = (row: StoredRow) => FINISHED.has(row.status as string);

/** The key must be usable (the JWKS and every signature depend on it) and named by its thumbprint, as generated. */
function keyProblem(row: StoredRow, parsed: Readonly<Record<string, unknown>>): RowProblem | undefined {
  const privateJwk = parsed.private_jwk as { kid: string };
  const publicJwk = parsed.public_jwk as { kid: string; n: string; e: string };
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' });
  } catch (error) {
    return { column: 'private_jwk', message: `is not an RSA private key (${(error as Error).message})` };
  }
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return { column: 'private_jwk', message: 'must be an RSA key of 2048 bits or more' };
  const { n, e } = createPublicKey(key).export({ format: 'jwk' });
  if (publicJwk.n !== n || publicJwk.e !== e) return { column: 'public_jwk', message: 'is not the public half of private_jwk' };
  const thumbprint = createHash('sha256').update(JSON.stringify({ e, kty: 'RSA', n })).digest('base64url');
  if (row.kid !== thumbprint) return { column: 'kid', message: `must be the key's RFC 7638 thumbprint, ${thumbprint}` };
  if (publicJwk.kid !== row.kid) return { column: 'public_jwk', message: 'kid must be the row\'s kid' };
  if (privateJwk.kid !== row.kid) return { column: 'private_jwk', message: 'kid must be the row\'s kid' };
  return undefined;
}

/** What the transmitter guarantees of every SET, and the push worker, poll and receivers rely on. */
function outboxProblem(row: StoredRow, parsed: Readonly<Record<string, unknown>>): RowProblem | undefined {
  const claims = parsed.claims as SetClaims;
  if (claims.jti !== row.jti) return { column: 'claims', message: `jti must be the row's jti, ${JSON.stringify(row.jti)}` };
  if (claims.txn !== row.txn) return { column: 'claims', message: `txn must be the row's txn, ${JSON.stringify(row.txn)}` };
  if (!(String(row.event_type) in claims.events)) return { column: 'claims', message: `events must hold the row's event_type, ${String(row.event_type)}` };
  // The issuer's origin depends on where the emulator runs; its path is always the integration's id.
  if (!claims.iss.endsWith(`/${String(row.integration_id)}`)) {
    return { column: 'claims', message: `iss must be the issuer of the row's integration (.../${String(row.integration_id)})` };
  }
  const statuses = STATUSES[row.delivery as string] as readonly string[];
  if (!statuses.includes(row.status as string)) {
    return { column: 'status', message: `must be one of ${statuses.join(', ')} for ${String(row.delivery)} delivery` };
  }
  if (row.delivery === 'push' && row.target == null) return { column: 'target', message: 'is required for push delivery' };
  if (row.delivery === 'poll' && row.target != null) return { column: 'target', message: 'must be null for poll delivery (the receiver polls)' };
  if (row.delivery === 'poll' && row.stream_id == null) return { column: 'stream_id', message: 'is required for poll delivery (SETs are polled from a stream)' };
  if ((row.token == null) !== (row.kid == null)) return { column: 'kid', message: 'and token are set together, when the SET is signed' };
  return undefined;
}

export const ssfTables: AccountTable[] = [
  {
    table: 'ssf_keys',
    columns: {
      kid: Kid,
      private_jwk: Type.String(),
      public_jwk: Type.String(),
      created_at: Time,
      retired_at: Type.Optional(nullable(Time)),
    },
    json: { private_jwk: PrivateJwk, public_jwk: PublicJwk },
    secret: true,
    check: keyProblem,
  },
  {
    table: 'ssf_integration_settings',
    columns: {
      integration_id: Uuid,
      event_profile: Type.Optional(EventProfileBody.properties.event_profile),
    },
    references: [{ column: 'integration_id', table: 'integrations', key: 'id' }],
  },
  {
    table: 'ssf_streams',
    columns: {
      stream_id: StreamId,
      integration_id: Uuid,
      events_requested: Type.Optional(nullable(Type.String())),
      delivery_method: Delivery.method,
      endpoint_url: Type.Optional(nullable(Delivery.endpoint_url)),
      authorization_header: Type.Optional(nullable(Delivery.authorization_header)),
      description: Type.Optional(nullable(StreamProperties.description)),
      status: UpdateStatusBody.properties.status,
      reason: Type.Optional(nullable(Type.Required(UpdateStatusBody).properties.reason)),
      disabled_by_transmitter: Type.Optional(Flag),
      created_at: Time,
    },
    json: { events_requested: StreamProperties.events_requested },
    secret: ['authorization_header'],
    references: [{ column: 'integration_id', table: 'integrations', key: 'id' }],
    // As the stream endpoints store a delivery: push needs an endpoint_url; a poll stream's is ours to give.
    check: (row) => {
      if (row.delivery_method === PUSH) {
        return row.endpoint_url == null ? { column: 'endpoint_url', message: `is required for push delivery (${PUSH})` } : undefined;
      }
      for (const column of ['endpoint_url', 'authorization_header']) {
        if (row[column] != null) return { column, message: `must be null for poll delivery (${String(row.delivery_method)})` };
      }
      return undefined;
    },
  },
  {
    table: 'ssf_stream_subjects',
    columns: {
      stream_id: StreamId,
      subject_key: Type.String({ minLength: 1 }),
      subject: Type.String(),
      included: Flag,
    },
    json: { subject: SubjectBody.properties.subject },
    references: [{ column: 'stream_id', table: 'ssf_streams', key: 'stream_id' }],
    check: (row, parsed) => {
      const key = subjectKey(parsed.subject as Record<string, unknown>);
      return row.subject_key === key ? undefined : { column: 'subject_key', message: `must be ${JSON.stringify(key)}, the key of subject` };
    },
  },
  {
    table: 'ssf_outbox',
    columns: {
      jti: SetId,
      integration_id: Uuid,
      stream_id: Type.Optional(nullable(StreamId)),
      txn: SetId,
      event_type: Type.Unsafe<string>({ type: 'string', enum: EVENTS_SUPPORTED }),
      delivery: OutboxEntry.properties.delivery,
      target: Type.Optional(nullable(Delivery.endpoint_url)),
      authorization: Type.Optional(nullable(Delivery.authorization_header)),
      claims: Type.String(),
      token: Type.Optional(nullable(Type.String({ pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$', maxLength: 65536 }))),
      kid: Type.Optional(nullable(Kid)),
      status: OutboxEntry.properties.status,
      attempts: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
      http_status: Type.Optional(nullable(HttpStatus)),
      error: Type.Optional(nullable(Type.String({ maxLength: 8192 }))),
      created_at: Time,
      last_attempt_at: Type.Optional(nullable(Time)),
      delivered_at: Type.Optional(nullable(Time)),
      next_attempt_at: Type.Optional(nullable(Type.Integer({ minimum: 0, maximum: 8.64e15 }))),
      attempt_log: Type.Optional(Type.String()),
    },
    json: { claims: Claims, attempt_log: AttemptLog },
    assigned: ['seq'],
    secret: ['authorization'],
    references: [
      { column: 'integration_id', table: 'integrations', key: 'id', mayOutlive: finished },
      { column: 'stream_id', table: 'ssf_streams', key: 'stream_id', agree: { integration_id: 'integration_id' }, mayOutlive: finished },
    ],
    check: outboxProblem,
  },
];
