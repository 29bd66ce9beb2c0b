// The Security Event Tokens the transmitter issues (RFC 8417 + SSF 1.0): their event types and claims.
import type { SsfEventProfile } from '../config.js';
import type { LevelChange } from '../risk/levelChanges.js';

const EventType = {
  oktaUserRiskChange: 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change',
  caepRiskLevelChange: 'https://schemas.openid.net/secevent/caep/event-type/risk-level-change',
  verification: 'https://schemas.openid.net/secevent/ssf/event-type/verification',
  streamUpdated: 'https://schemas.openid.net/secevent/ssf/event-type/stream-updated',
} as const;

/** The risk event each profile sends. */
export const RISK_EVENT_TYPES: Record<SsfEventProfile, string> = {
  okta: EventType.oktaUserRiskChange,
  caep: EventType.caepRiskLevelChange,
};

export const EVENTS_SUPPORTED: string[] = [
  EventType.oktaUserRiskChange,
  EventType.caepRiskLevelChange,
  EventType.verification,
  EventType.streamUpdated,
];

export type SubjectId = { format: 'email'; email: string } | { format: 'opaque'; id: string };

/** The claims of one SET: exactly one event, `sub_id` at the top (SSF 1.0), never `sub` or `exp`. */
export interface SetClaims {
  iss: string;
  aud: string;
  iat: number;
  jti: string;
  txn: string;
  sub_id: SubjectId;
  events: Record<string, Record<string, unknown>>;
}

export interface Envelope {
  iss: string;
  aud: string;
  iat: number;
  jti: string;
  txn: string;
}

function numericDate(rfc3339: string): number {
  return Math.floor(Date.parse(rfc3339) / 1000);
}

/** The SET announcing one user's level change, as the given event type. */
export function riskChangeClaims(envelope: Envelope, eventType: string, change: LevelChange): SetClaims {
  const sub_id: SubjectId = { format: 'email', email: change.email };
  if (eventType === EventType.caepRiskLevelChange) {
    return {
      ...envelope,
      sub_id,
      events: {
        [eventType]: {
          principal: 'USER',
          current_level: change.current.toUpperCase(),
          previous_level: change.previous.toUpperCase(),
          risk_reason: change.reason,
          event_timestamp: numericDate(change.at),
        },
      },
    };
  }
  return {
    ...envelope,
    sub_id,
    events: {
      [EventType.oktaUserRiskChange]: {
        subject: { user: { format: 'email', email: change.email } },
        current_level: change.current,
        previous_level: change.previous,
        // A reset is an administrator's act; everything else is Cloudflare's own scoring.
        initiating_entity: change.cause === 'reset' ? 'admin' : 'system',
        reason_admin: { en: change.reason },
        event_timestamp: numericDate(change.at),
      },
    },
  };
}

export function verificationClaims(envelope: Envelope, streamId: string, state: string | undefined): SetClaims {
  return {
    ...envelope,
    sub_id: { format: 'opaque', id: streamId },
    events: { [EventType.verification]: state === undefined ? {} : { state } },
  };
}

export function streamUpdatedClaims(envelope: Envelope, streamId: string, status: string, reason: string): SetClaims {
  return {
    ...envelope,
    sub_id: { format: 'opaque', id: streamId },
    events: { [EventType.streamUpdated]: { status, reason } },
  };
}
