// Risk scores: the behavior catalogue of each account, users' effective risk levels, and the publication of
// every change of a user's level through LevelChanges (inside the change's transaction, once, never for no change).
import type { Database } from '../db/database.js';
import { ApiError, ErrorCode, pointerToken, type ErrorMessage } from '../cloudflare/errors.js';
import { rfc3339 } from '../cloudflare/timestamps.js';
import { BEHAVIORS, BEHAVIOR_IDS, behaviorDefinition, higher } from './catalogue.js';
import type { LevelChange, LevelChanges, RiskLevel } from './levelChanges.js';
import { RiskRepository, type CountedBehavior, type RiskEventRow } from './repository.js';
import type { AccountUser, Behavior, BehaviorSetting, NewRiskEvent, RecordedEvent, RiskEvent, UserRisk, UserRiskInfo } from './schemas.js';

export interface RiskScoresDeps {
  levelChanges: LevelChanges;
  now: () => Date;
  newId: () => string;
}

type Catalogue = Record<string, Behavior>;

/** The clock's time at second precision: what the emulator stamps itself (reset times, events without one). */
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** A user id as stored: lower case, without the `urn:uuid:` prefix the uuid format also accepts. */
function userKey(userId: string): string {
  return userId.toLowerCase().replace(/^urn:uuid:/, '');
}

function unknownBehavior(id: string, pointer: string): ErrorMessage {
  return {
    code: ErrorCode.unknownRiskBehavior,
    message: `Unknown risk behavior ${JSON.stringify(id)}; known behaviors: ${BEHAVIOR_IDS.join(', ')}`,
    source: { pointer },
  };
}

export function userNotFound(userId: string): ApiError {
  return new ApiError(404, [{ code: ErrorCode.riskUserNotFound, message: `No risk score for user ${userId}` }]);
}

/** The highest level among the enabled behaviors triggered; low when there is none. */
function levelOf(triggered: readonly CountedBehavior[], catalogue: Catalogue): RiskLevel {
  let level: RiskLevel = 'low';
  for (const { behavior_id } of triggered) {
    const behavior = catalogue[behavior_id];
    if (behavior?.enabled) level = higher(level, behavior.risk_level);
  }
  return level;
}

function levelsByUser(triggered: readonly CountedBehavior[], catalogue: Catalogue): Map<string, RiskLevel> {
  const byUser = new Map<string, CountedBehavior[]>();
  for (const row of triggered) byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), row]);
  return new Map([...byUser].map(([userId, rows]) => [userId, levelOf(rows, catalogue)]));
}

/** An event as Cloudflare's user risk answer shows it, named from the account's catalogue. */
function eventOnWire(e: RiskEventRow, catalogue: Catalogue): RiskEvent {
  return {
    id: e.id,
    name: catalogue[e.behavior_id]?.name ?? e.behavior_id,
    risk_level: e.risk_level,
    timestamp: e.timestamp,
    event_details: e.event_details,
  };
}

function describeSetting(before: Behavior, after: BehaviorSetting): string[] {
  const parts: string[] = [];
  if (before.enabled !== after.enabled) parts.push(`${before.name} ${after.enabled ? 'enabled' : 'disabled'}`);
  if (before.risk_level !== after.risk_level) parts.push(`${before.name} risk level set to ${after.risk_level}`);
  return parts;
}

export class RiskScores {
  private readonly repository: RiskRepository;

  constructor(
    db: Database,
    private readonly deps: RiskScoresDeps,
  ) {
    this.repository = new RiskRepository(db);
  }

  /** The account's catalogue: Cloudflare's defaults with the account's stored reconfigurations applied. */
  behaviors(accountId: string): Catalogue {
    const catalogue: Catalogue = {};
    for (const { id, ...behavior } of BEHAVIORS) catalogue[id] = { ...behavior };
    for (const override of this.repository.behaviorOverrides(accountId)) {
      const behavior = catalogue[override.behavior_id];
      if (behavior) Object.assign(behavior, { enabled: override.enabled, risk_level: override.risk_level });
    }
    return catalogue;
  }

  /**
   * Reconfigures the behaviors given (400 naming every unknown id, and nothing changes) and announces the
   * level of every user it changes.
   */
  updateBehaviors(accountId: string, settings: Record<string, BehaviorSetting>): Catalogue {
    const unknown = Object.keys(settings).filter((id) => !behaviorDefinition(id));
    if (unknown.length > 0) {
      throw new ApiError(400, unknown.map((id) => unknownBehavior(id, `/behaviors/${pointerToken(id)}`)));
    }
    const changes: LevelChange[] = [];
    const catalogue = this.repository.transaction(() => {
      const before = this.behaviors(accountId);
      const triggered = this.repository.countedBehaviorsInAccount(accountId);
      const levelsBefore = levelsByUser(triggered, before);
      for (const [id, setting] of Object.entries(settings)) {
        this.repository.saveBehavior(accountId, { behavior_id: id, enabled: setting.enabled, risk_level: setting.risk_level });
      }
      const after = this.behaviors(accountId);
      const levelsAfter = levelsByUser(triggered, after);
      const reason = `Risk behaviors reconfigured: ${Object.entries(settings)
        .flatMap(([id, setting]) => describeSetting(before[id] as Behavior, setting))
        .join('; ')}`;
      const at = rfc3339(wholeSeconds(this.deps.now()));
      for (const [userId, previous] of levelsBefore) {
        const current = levelsAfter.get(userId) ?? 'low';
        if (current === previous) continue;
        const user = this.repository.user(accountId, userId);
        changes.push({ accountId, userId, email: user?.email ?? '', name: user?.name ?? '', previous, current, reason, cause: 'behavior', at });
      }
      this.publish(changes);
      return after;
    });
    return catalogue;
  }

  /**
   * Records events in order (400 naming every unknown behavior or unusable timestamp, and nothing is recorded); an event of a
   * disabled behavior is recorded but never raises the score. Announces each change of a user's level.
   */
  inject(accountId: string, events: readonly NewRiskEvent[], pointerPrefix: (index: number) => string): RecordedEvent[] {
    const refused = events.flatMap((e, i): ErrorMessage[] => [
      ...(behaviorDefinition(e.behavior) ? [] : [unknownBehavior(e.behavior, `${pointerPrefix(i)}/behavior`)]),
      // RFC 3339 admits a leap second (23:59:60) that no JavaScript Date can hold.
      ...(e.timestamp === undefined || !Number.isNaN(Date.parse(e.timestamp))
        ? []
        : [{ code: ErrorCode.validation, message: `${e.timestamp} is not a representable time`, source: { pointer: `${pointerPrefix(i)}/timestamp` } }]),
    ]);
    if (refused.length > 0) throw new ApiError(400, refused);

    const changes: LevelChange[] = [];
    return this.repository.transaction(() => {
      const catalogue = this.behaviors(accountId);
      const recorded = events.map((input) => {
        const userId = userKey(input.user_id);
        const behavior = catalogue[input.behavior] as Behavior;
        const when = input.timestamp === undefined ? wholeSeconds(this.deps.now()) : new Date(input.timestamp);
        const previous = levelOf(this.repository.countedBehaviors(accountId, userId), catalogue);
        this.repository.saveUser(accountId, { user_id: userId, email: input.email, name: input.name });
        const event = {
          id: this.deps.newId(),
          user_id: userId,
          behavior_id: input.behavior,
          risk_level: behavior.risk_level,
          counted: behavior.enabled,
          timestamp: rfc3339(when),
          timestamp_ms: when.getTime(),
          event_details: input.event_details ?? {},
        };
        this.repository.insertEvent(accountId, event);
        const current = levelOf(this.repository.countedBehaviors(accountId, userId), catalogue);
        if (current !== previous) {
          changes.push({
            accountId,
            userId,
            email: input.email,
            name: input.name,
            previous,
            current,
            reason: `Risk behavior triggered: ${behavior.name}`,
            cause: 'event',
            at: event.timestamp,
          });
        }
        return {
          id: event.id,
          user_id: userId,
          email: input.email,
          name: input.name,
          behavior: input.behavior,
          risk_level: event.risk_level,
          timestamp: event.timestamp,
          event_details: event.event_details,
          counted: event.counted,
          user_risk_level: current,
        };
      });
      this.publish(changes);
      return recorded;
    });
  }

  /** The user's risk and events since the last reset; undefined for a user no event was ever injected for. */
  user(accountId: string, rawUserId: string): UserRisk | undefined {
    const userId = userKey(rawUserId);
    const user = this.repository.user(accountId, userId);
    if (!user) return undefined;
    const catalogue = this.behaviors(accountId);
    const events = this.repository.events(accountId, userId).map((e) => eventOnWire(e, catalogue));
    return {
      name: user.name,
      email: user.email,
      risk_level: levelOf(this.repository.countedBehaviors(accountId, userId), catalogue),
      last_reset_time: user.last_reset_time,
      events,
    };
  }

  /** One row per user with events since their last reset, most recent activity first. */
  summary(accountId: string): UserRiskInfo[] {
    const levels = levelsByUser(this.repository.countedBehaviorsInAccount(accountId), this.behaviors(accountId));
    return this.repository.activity(accountId).map((row) => ({
      user_id: row.user_id,
      name: row.name,
      email: row.email,
      max_risk_level: levels.get(row.user_id) ?? 'low',
      event_count: row.event_count,
      last_event: row.last_event,
    }));
  }

  /** Every user events were ever injected for, first seen first: their current level, events since their last reset, and that reset. */
  users(accountId: string): AccountUser[] {
    return this.repository.transaction(() => {
      const catalogue = this.behaviors(accountId);
      const levels = levelsByUser(this.repository.countedBehaviorsInAccount(accountId), catalogue);
      const eventsByUser = new Map<string, AccountUser['events']>();
      for (const e of this.repository.eventsInAccount(accountId)) {
        const events = eventsByUser.get(e.user_id) ?? [];
        events.push({ ...eventOnWire(e, catalogue), behavior: e.behavior_id, counted: e.counted });
        eventsByUser.set(e.user_id, events);
      }
      return this.repository.users(accountId).map((user) => ({
        user_id: user.user_id,
        name: user.name,
        email: user.email,
        risk_level: levels.get(user.user_id) ?? 'low',
        last_reset_time: user.last_reset_time,
        events: eventsByUser.get(user.user_id) ?? [],
      }));
    });
  }

  /** How many users each account has. */
  userCounts(): Map<string, number> {
    return this.repository.userCounts();
  }

  /** Clears the user's events and returns their level to low; false for an unknown user. */
  reset(accountId: string, rawUserId: string): boolean {
    const userId = userKey(rawUserId);
    const changes: LevelChange[] = [];
    const found = this.repository.transaction(() => {
      const user = this.repository.user(accountId, userId);
      if (!user) return false;
      const previous = levelOf(this.repository.countedBehaviors(accountId, userId), this.behaviors(accountId));
      const at = rfc3339(wholeSeconds(this.deps.now()));
      this.repository.reset(accountId, userId, at);
      if (previous !== 'low') {
        changes.push({
          accountId,
          userId,
          email: user.email,
          name: user.name,
          previous,
          current: 'low',
          reason: 'Risk score reset by an administrator',
          cause: 'reset',
          at,
        });
      }
      this.publish(changes);
      return true;
    });
    return found;
  }

  private publish(changes: readonly LevelChange[]): void {
    for (const change of changes) this.deps.levelChanges.publish(change);
  }
}
