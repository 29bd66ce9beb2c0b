// TypeBox schemas of the Shared Signals transmitter: discovery, JWKS, SSF 1.0 streams, RFC 8936 poll, emulator controls.
import { Type, type Static } from '@sinclair/typebox';
import { AccountId, Uuid } from '../cloudflare/identifiers.js';
import { SSF_EVENT_PROFILES } from '../config.js';

export const IntegrationIdParams = Type.Object({ integration_id: Uuid });
export const AccountKeyParams = Type.Object({ account_id: AccountId });

export const TransmitterConfiguration = Type.Object(
  {
    spec_version: Type.String(),
    issuer: Type.String(),
    jwks_uri: Type.String(),
    delivery_methods_supported: Type.Array(Type.String()),
    configuration_endpoint: Type.String(),
    status_endpoint: Type.String(),
    add_subject_endpoint: Type.String(),
    remove_subject_endpoint: Type.String(),
    verification_endpoint: Type.String(),
    authorization_schemes: Type.Array(Type.Object({ spec_urn: Type.String() })),
    default_subjects: Type.String(),
  },
  { description: 'SSF 1.0 transmitter configuration metadata (§7.1).' },
);

export const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: Type.String(),
      kid: Type.String(),
      alg: Type.String(),
      use: Type.String(),
      n: Type.String(),
      e: Type.String(),
    }),
  ),
});

const DeliveryMethod = Type.Union([Type.Literal('urn:ietf:rfc:8935'), Type.Literal('urn:ietf:rfc:8936')], {
  description: 'urn:ietf:rfc:8935 is push (the transmitter POSTs each SET to endpoint_url); urn:ietf:rfc:8936 is poll.',
});

const Url = Type.String({ format: 'uri', pattern: '^[hH][tT][tT][pP][sS]?://', maxLength: 2048 });

const DeliveryInput = Type.Object({
  method: DeliveryMethod,
  endpoint_url: Type.Optional(Url),
  authorization_header: Type.Optional(Type.String({ maxLength: 4096, description: 'Sent as Authorization with every pushed SET.' })),
});

const EventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { maxItems: 100 });
const StreamId = Type.String({ minLength: 1, maxLength: 200 });

/** Receiver-supplied properties; transmitter-supplied ones (iss, aud, events_delivered ...) may be sent and are ignored. */
const StreamProperties = {
  events_requested: Type.Optional(EventTypes),
  delivery: Type.Optional(DeliveryInput),
  description: Type.Optional(Type.String({ maxLength: 2048 })),
};

export const CreateStreamBody = Type.Object(StreamProperties);
export type CreateStreamBody = Static<typeof CreateStreamBody>;
export const UpdateStreamBody = Type.Object({ stream_id: StreamId, ...StreamProperties });
export type UpdateStreamBody = Static<typeof UpdateStreamBody>;

export const StreamConfiguration = Type.Object(
  {
    stream_id: Type.String(),
    iss: Type.String(),
    aud: Type.String(),
    events_supported: Type.Array(Type.String()),
    events_requested: Type.Optional(Type.Array(Type.String())),
    events_delivered: Type.Array(Type.String()),
    delivery: Type.Object({ method: DeliveryMethod, endpoint_url: Type.Optional(Type.String()) }),
    description: Type.Optional(Type.String()),
  },
  { description: 'SSF 1.0 stream configuration (§8.1.1); authorization_header is never echoed.' },
);
export type StreamConfiguration = Static<typeof StreamConfiguration>;

export const StreamQuery = Type.Object({ stream_id: Type.Optional(StreamId) });
export const RequiredStreamQuery = Type.Object({ stream_id: StreamId });

const Status = Type.Union([Type.Literal('enabled'), Type.Literal('paused'), Type.Literal('disabled')]);
export const StreamStatus = Type.Object({
  stream_id: Type.String(),
  status: Status,
  reason: Type.Optional(Type.String()),
});
export const UpdateStatusBody = Type.Object({ stream_id: StreamId, status: Status, reason: Type.Optional(Type.String({ maxLength: 2048 })) });

export const SubjectBody = Type.Object({
  stream_id: StreamId,
  subject: Type.Object({ format: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: true }),
  verified: Type.Optional(Type.Boolean()),
});

export const VerifyBody = Type.Object({ stream_id: StreamId, state: Type.Optional(Type.String({ maxLength: 2048 })) });

export const PollParams = Type.Object({ integration_id: Uuid, stream_id: StreamId });

export const PollBody = Type.Object(
  {
    maxEvents: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    returnImmediately: Type.Optional(Type.Boolean()),
    ack: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000 })),
    setErrs: Type.Optional(
      Type.Record(Type.String(), Type.Object({ err: Type.String(), description: Type.Optional(Type.String()) })),
    ),
  },
  { description: 'RFC 8936 poll request.' },
);
export type PollBody = Static<typeof PollBody>;

export const PollResponse = Type.Object({
  sets: Type.Record(Type.String(), Type.String()),
  moreAvailable: Type.Boolean(),
});

// ---- emulator controls

const OUTBOX_STATUSES = ['pending', 'delivered', 'failed', 'held', 'queued', 'acknowledged', 'dropped', 'canceled'] as const;

export const OutboxQuery = Type.Object({
  account_id: Type.Optional(AccountId),
  integration_id: Type.Optional(Uuid),
  stream_id: Type.Optional(StreamId),
  status: Type.Optional(Type.Union(OUTBOX_STATUSES.map((s) => Type.Literal(s)))),
  limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$', description: 'At most this many entries (1-1000, default 100).' })),
});
export type OutboxQuery = Static<typeof OutboxQuery>;

export const OutboxEntry = Type.Object({
  jti: Type.String(),
  txn: Type.String(),
  account_tag: Type.String(),
  integration_id: Type.String(),
  stream_id: Type.Union([Type.String(), Type.Null()]),
  event_type: Type.String(),
  delivery: Type.Union([Type.Literal('push'), Type.Literal('poll')]),
  target: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union(OUTBOX_STATUSES.map((s) => Type.Literal(s))),
  attempts: Type.Integer(),
  http_status: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  kid: Type.Union([Type.String(), Type.Null()]),
  claims: Type.Object({}, { additionalProperties: true, description: 'The decoded SET claims.' }),
  token: Type.Union([Type.String(), Type.Null()], { description: 'The compact JWS as sent; null until first signed.' }),
  created_at: Type.String(),
  last_attempt_at: Type.Union([Type.String(), Type.Null()]),
  delivered_at: Type.Union([Type.String(), Type.Null()]),
  next_attempt_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'When the push worker tries it next: set on the oldest pending SET of each destination.',
  }),
  attempt_log: Type.Array(
    Type.Object({
      at: Type.String(),
      http_status: Type.Union([Type.Integer(), Type.Null()]),
      error: Type.Union([Type.String(), Type.Null()]),
      answer: Type.Union([Type.String(), Type.Null()], { description: "The start of the receiver's answer (at most 1 KiB)." }),
      location: Type.Union([Type.String(), Type.Null()], { description: 'Where a 3xx pointed; redirects are not followed.' }),
    }),
    { description: 'Every push attempt, oldest first.' },
  ),
});

const Profile = Type.Union(SSF_EVENT_PROFILES.map((p) => Type.Literal(p)));
export const EventProfileBody = Type.Object({
  event_profile: Type.Union([Profile, Type.Null()], { description: 'okta, caep, or null to follow SSF_EVENT_PROFILE.' }),
});
export const EventProfile = Type.Object({
  integration_id: Type.String(),
  event_profile: Profile,
  source: Type.Union([Type.Literal('integration'), Type.Literal('default')]),
});

export const KeyInfo = Type.Object({
  kid: Type.String(),
  created_at: Type.String(),
  retired_at: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean(),
});
