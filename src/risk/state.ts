// The risk tables as a state document carries them: behaviors from the catalogue, users and events as injected.
import { Type } from '@sinclair/typebox';
import { Uuid } from '../cloudflare/identifiers.js';
import { Flag, type AccountTable } from '../db/accountTables.js';
import { BEHAVIOR_IDS } from './catalogue.js';
import { BehaviorSetting, NewRiskEvent, RiskEvent, UserParams, UserRisk } from './schemas.js';

const BehaviorId = Type.Unsafe<string>({ type: 'string', enum: [...BEHAVIOR_IDS], description: 'A behavior of the catalogue.' });

/** The API's user id, as stored: lower case, without the urn:uuid: prefix the API also accepts. */
const StoredUserId = Type.Intersect([UserParams.properties.user_id, Type.String({ pattern: '^[0-9a-f-]{36}$' })]);

export const riskTables: AccountTable[] = [
  {
    table: 'risk_behaviors',
    columns: {
      behavior_id: BehaviorId,
      enabled: Flag,
      risk_level: BehaviorSetting.properties.risk_level,
    },
  },
  {
    table: 'risk_users',
    columns: {
      user_id: StoredUserId,
      email: NewRiskEvent.properties.email,
      name: NewRiskEvent.properties.name,
      last_reset_time: Type.Optional(UserRisk.properties.last_reset_time),
    },
  },
  {
    table: 'risk_events',
    columns: {
      id: Uuid,
      user_id: StoredUserId,
      behavior_id: BehaviorId,
      risk_level: RiskEvent.properties.risk_level,
      counted: Flag,
      cleared: Type.Optional(Flag),
      timestamp: RiskEvent.properties.timestamp,
      timestamp_ms: Type.Integer({ minimum: -8.64e15, maximum: 8.64e15 }),
      event_details: Type.String(),
    },
    json: { event_details: RiskEvent.properties.event_details },
    references: [{ column: 'user_id', table: 'risk_users', key: 'user_id' }],
    check: (row) => {
      // The time a timestamp stands for orders a user's events; RFC 3339 admits a leap second no Date can hold.
      const ms = Date.parse(row.timestamp as string);
      if (Number.isNaN(ms)) return { column: 'timestamp', message: 'is not a representable time' };
      if (row.timestamp_ms !== ms) return { column: 'timestamp_ms', message: `must be ${ms}, the timestamp in milliseconds since the epoch` };
      return undefined;
    },
  },
];
