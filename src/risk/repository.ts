// Storage of risk scores: every SQL statement of the feature, prepared once.
import type { Database } from '../db/database.js';
import type { RiskLevel } from './levelChanges.js';

export interface BehaviorOverride {
  behavior_id: string;
  enabled: boolean;
  risk_level: RiskLevel;
}

export interface RiskUserRow {
  user_id: string;
  email: string;
  name: string;
  last_reset_time: string | null;
}

export interface RiskEventRow {
  id: string;
  user_id: string;
  behavior_id: string;
  risk_level: RiskLevel;
  counted: boolean;
  timestamp: string;
  timestamp_ms: number;
  event_details: unknown;
}

export interface UserActivity {
  user_id: string;
  name: string;
  email: string;
  event_count: number;
  last_event: string;
}

/** A behavior a user triggered (while it was enabled) since their last reset. */
export interface CountedBehavior {
  user_id: string;
  behavior_id: string;
}

interface EventRow extends Omit<RiskEventRow, 'counted' | 'event_details'> {
  counted: 0 | 1;
  event_details: string;
}

function toEvent(row: EventRow): RiskEventRow {
  return { ...row, counted: row.counted === 1, event_details: JSON.parse(row.event_details) as unknown };
}

export class RiskRepository {
  private readonly overridesStmt;
  private readonly saveOverrideStmt;
  private readonly userStmt;
  private readonly upsertUserStmt;
  private readonly resetUserStmt;
  private readonly clearEventsStmt;
  private readonly insertEventStmt;
  private readonly eventsStmt;
  private readonly countedStmt;
  private readonly countedInAccountStmt;
  private readonly activityStmt;
  private readonly usersStmt;
  private readonly eventsInAccountStmt;
  private readonly userCountsStmt;
  readonly transaction: <T>(fn: () => T) => T;

  constructor(db: Database) {
    this.overridesStmt = db.prepare<[string], { behavior_id: string; enabled: 0 | 1; risk_level: RiskLevel }>(
      'SELECT behavior_id, enabled, risk_level FROM risk_behaviors WHERE account_tag = ?',
    );
    this.saveOverrideStmt = db.prepare<[string, string, number, string]>(
      `INSERT INTO risk_behaviors (account_tag, behavior_id, enabled, risk_level) VALUES (?, ?, ?, ?)
       ON CONFLICT (account_tag, behavior_id) DO UPDATE SET enabled = excluded.enabled, risk_level = excluded.risk_level`,
    );
    this.userStmt = db.prepare<[string, string], RiskUserRow>(
      'SELECT user_id, email, name, last_reset_time FROM risk_users WHERE account_tag = ? AND user_id = ?',
    );
    this.upsertUserStmt = db.prepare<[string, string, string, string]>(
      `INSERT INTO risk_users (account_tag, user_id, email, name) VALUES (?, ?, ?, ?)
       ON CONFLICT (account_tag, user_id) DO UPDATE SET email = excluded.email, name = excluded.name`,
    );
    this.resetUserStmt = db.prepare<[string, string, string]>(
      'UPDATE risk_users SET last_reset_time = ? WHERE account_tag = ? AND user_id = ?',
    );
    this.clearEventsStmt = db.prepare<[string, string]>(
      'UPDATE risk_events SET cleared = 1 WHERE account_tag = ? AND user_id = ? AND cleared = 0',
    );
    this.insertEventStmt = db.prepare(
      `INSERT INTO risk_events (account_tag, id, user_id, behavior_id, risk_level, counted, timestamp, timestamp_ms, event_details)
       VALUES (@account_tag, @id, @user_id, @behavior_id, @risk_level, @counted, @timestamp, @timestamp_ms, @event_details)`,
    );
    this.eventsStmt = db.prepare<[string, string], EventRow>(
      `SELECT id, user_id, behavior_id, risk_level, counted, timestamp, timestamp_ms, event_details FROM risk_events
       WHERE account_tag = ? AND user_id = ? AND cleared = 0 ORDER BY timestamp_ms DESC, rowid DESC`,
    );
    this.countedStmt = db.prepare<[string, string], CountedBehavior>(
      `SELECT DISTINCT user_id, behavior_id FROM risk_events
       WHERE account_tag = ? AND user_id = ? AND cleared = 0 AND counted = 1`,
    );
    this.countedInAccountStmt = db.prepare<[string], CountedBehavior>(
      `SELECT DISTINCT user_id, behavior_id FROM risk_events WHERE account_tag = ? AND cleared = 0 AND counted = 1`,
    );
    // SQLite returns the bare column e.timestamp from the row that holds max(e.timestamp_ms).
    this.activityStmt = db.prepare<[string], UserActivity & { last_ms: number }>(
      `SELECT u.user_id, u.name, u.email, count(*) AS event_count, e.timestamp AS last_event, max(e.timestamp_ms) AS last_ms
       FROM risk_events e JOIN risk_users u ON u.account_tag = e.account_tag AND u.user_id = e.user_id
       WHERE e.account_tag = ? AND e.cleared = 0
       GROUP BY u.user_id ORDER BY last_ms DESC, u.user_id`,
    );
    this.usersStmt = db.prepare<[string], RiskUserRow>(
      'SELECT user_id, email, name, last_reset_time FROM risk_users WHERE account_tag = ? ORDER BY rowid',
    );
    this.eventsInAccountStmt = db.prepare<[string], EventRow>(
      `SELECT id, user_id, behavior_id, risk_level, counted, timestamp, timestamp_ms, event_details FROM risk_events
       WHERE account_tag = ? AND cleared = 0 ORDER BY timestamp_ms DESC, rowid DESC`,
    );
    this.userCountsStmt = db.prepare<[], { account_tag: string; n: number }>(
      'SELECT account_tag, count(*) AS n FROM risk_users GROUP BY account_tag',
    );
    this.transaction = <T>(fn: () => T): T => db.transaction(fn)();
  }

  behaviorOverrides(accountId: string): BehaviorOverride[] {
    return this.overridesStmt.all(accountId).map((r) => ({ ...r, enabled: r.enabled === 1 }));
  }

  saveBehavior(accountId: string, override: BehaviorOverride): void {
    this.saveOverrideStmt.run(accountId, override.behavior_id, override.enabled ? 1 : 0, override.risk_level);
  }

  user(accountId: string, userId: string): RiskUserRow | undefined {
    return this.userStmt.get(accountId, userId);
  }

  /** Records the user, or updates their name and email to the latest seen. */
  saveUser(accountId: string, user: { user_id: string; email: string; name: string }): void {
    this.upsertUserStmt.run(accountId, user.user_id, user.email, user.name);
  }

  /** Clears every event recorded so far for the user and stamps the reset time. */
  reset(accountId: string, userId: string, at: string): void {
    this.clearEventsStmt.run(accountId, userId);
    this.resetUserStmt.run(at, accountId, userId);
  }

  insertEvent(accountId: string, event: RiskEventRow): void {
    this.insertEventStmt.run({
      ...event,
      account_tag: accountId,
      counted: event.counted ? 1 : 0,
      event_details: JSON.stringify(event.event_details),
    });
  }

  /** Events since the user's last reset, newest first. */
  events(accountId: string, userId: string): RiskEventRow[] {
    return this.eventsStmt.all(accountId, userId).map(toEvent);
  }

  /** Every user of the account, first seen first. */
  users(accountId: string): RiskUserRow[] {
    return this.usersStmt.all(accountId);
  }

  /** The events since their user's last reset of every user of the account, newest first. */
  eventsInAccount(accountId: string): RiskEventRow[] {
    return this.eventsInAccountStmt.all(accountId).map(toEvent);
  }

  /** How many users each account has. */
  userCounts(): Map<string, number> {
    return new Map(this.userCountsStmt.all().map((row) => [row.account_tag, row.n]));
  }

  countedBehaviors(accountId: string, userId: string): CountedBehavior[] {
    return this.countedStmt.all(accountId, userId);
  }

  countedBehaviorsInAccount(accountId: string): CountedBehavior[] {
    return this.countedInAccountStmt.all(accountId);
  }

  /** Users with events since their last reset, most recent activity first. */
  activity(accountId: string): UserActivity[] {
    return this.activityStmt.all(accountId).map(({ last_ms: _lastMs, ...row }) => row);
  }
}
