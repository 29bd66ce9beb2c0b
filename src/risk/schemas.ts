// TypeBox schemas of risk scores (Cloudflare: dlp_Behaviors, dlp_RiskEvents, dlp_RiskSummary ...) and of the
// emulator's risk-event injection.
import { Type, type Static } from '@sinclair/typebox';
import { AccountId } from '../cloudflare/identifiers.js';
import type { RiskLevel as Level } from './levelChanges.js';

/** As Cloudflare writes it: a string enum (one "must be one of" error, not an anyOf of literals). */
const RiskLevel = Type.Unsafe<Level>({
  type: 'string',
  enum: ['low', 'medium', 'high'],
  description: 'A risk level, lower case.',
});

/** A user id is a UUID in any form the uuid format accepts; it is stored in canonical lower case (see userKey). */
const UserId = Type.String({ format: 'uuid', description: 'The user id, a UUID.' });

export const UserParams = Type.Object({ account_id: AccountId, user_id: UserId });

export const Behavior = Type.Object({
  name: Type.String(),
  description: Type.String(),
  risk_level: RiskLevel,
  enabled: Type.Boolean(),
});
export type Behavior = Static<typeof Behavior>;

export const Behaviors = Type.Object(
  {
    behaviors: Type.Unsafe<Record<string, Behavior>>(
      Type.Object({}, { additionalProperties: Behavior, description: 'Every risk behavior, keyed by behavior id.' }),
    ),
  },
  { description: 'The catalogue of risk behaviors and their configuration.' },
);

export const BehaviorSetting = Type.Object({
  enabled: Type.Boolean({ description: 'Whether triggering the behavior raises a user\'s risk level.' }),
  risk_level: RiskLevel,
});
export type BehaviorSetting = Static<typeof BehaviorSetting>;

export const UpdateBehaviorsBody = Type.Object({
  behaviors: Type.Unsafe<Record<string, BehaviorSetting>>(
    Type.Object(
      {},
      {
        additionalProperties: BehaviorSetting,
        description: 'The behaviors to reconfigure, keyed by behavior id; the others keep their configuration.',
      },
    ),
  ),
});

/** Nullable the OpenAPI 3.0 way, as Cloudflare's schema writes it. */
const NullableDateTime = Type.Unsafe<string | null>({ type: 'string', format: 'date-time', nullable: true });

export const RiskEvent = Type.Object({
  id: Type.String({ description: 'The event id.' }),
  name: Type.String({ description: 'The name of the behavior that was triggered.' }),
  risk_level: RiskLevel,
  timestamp: Type.String({ format: 'date-time' }),
  event_details: Type.Unknown({ description: 'Whatever details the event was injected with ({} when none).' }),
});
export type RiskEvent = Static<typeof RiskEvent>;

export const UserRisk = Type.Object({
  name: Type.String(),
  email: Type.String(),
  risk_level: RiskLevel,
  last_reset_time: NullableDateTime,
  events: Type.Array(RiskEvent, { description: 'Events since the last reset, newest first.' }),
});
export type UserRisk = Static<typeof UserRisk>;

export const UserRiskInfo = Type.Object({
  user_id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  email: Type.String(),
  max_risk_level: RiskLevel,
  event_count: Type.Integer({ minimum: 0 }),
  last_event: Type.String({ format: 'date-time' }),
});
export type UserRiskInfo = Static<typeof UserRiskInfo>;

export const RiskSummary = Type.Object({
  users: Type.Array(UserRiskInfo, { description: 'One row per user with events since their last reset.' }),
});

// ---- Emulator-only: injecting risk events ----

export const NewRiskEvent = Type.Object({
  user_id: UserId,
  email: Type.String({ format: 'email', maxLength: 320, description: "The user's email." }),
  name: Type.String({ minLength: 1, maxLength: 255, description: "The user's display name." }),
  behavior: Type.String({ minLength: 1, maxLength: 100, description: 'The id of the behavior triggered, e.g. imp_travel.' }),
  timestamp: Type.Optional(
    Type.String({ format: 'date-time', description: 'When the behavior was triggered (RFC 3339); now when omitted.' }),
  ),
  event_details: Type.Optional(Type.Unknown({ description: 'Any JSON value, returned as is in the user\'s events.' })),
});
export type NewRiskEvent = Static<typeof NewRiskEvent>;

const MAX_BULK_EVENTS = 1000;

export const NewRiskEvents = Type.Array(NewRiskEvent, { minItems: 1, maxItems: MAX_BULK_EVENTS });

export const InjectBody = Type.Union([NewRiskEvent, NewRiskEvents], {
  description: `One event (an object), or up to ${MAX_BULK_EVENTS} events (an array) recorded in order.`,
});

export const RecordedEvent = Type.Object({
  id: Type.String({ description: 'The event id.' }),
  user_id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String({ description: "The user's display name." }),
  behavior: Type.String(),
  risk_level: RiskLevel,
  timestamp: Type.String({ format: 'date-time' }),
  event_details: Type.Unknown(),
  counted: Type.Boolean({ description: 'False when the behavior was disabled: the event is recorded but never raises the score.' }),
  user_risk_level: Type.Unsafe<Level>({ ...RiskLevel, description: "The user's effective risk level once this event was recorded." }),
});
export type RecordedEvent = Static<typeof RecordedEvent>;

// ---- Emulator-only: reading every user of an account ----

const AccountUserEvent = Type.Composite([
  RiskEvent,
  Type.Object({
    behavior: Type.String({ description: 'The id of the behavior triggered.' }),
    counted: Type.Boolean({ description: 'False when the behavior was disabled: recorded, but it never raises the level.' }),
  }),
]);

export const AccountUser = Type.Object({
  user_id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  email: Type.String(),
  risk_level: Type.Unsafe<Level>({ ...RiskLevel, description: "The user's current level: the highest among enabled behaviors triggered since the last reset." }),
  last_reset_time: NullableDateTime,
  events: Type.Array(AccountUserEvent, { description: 'Events since the last reset, newest first.' }),
});
export type AccountUser = Static<typeof AccountUser>;
