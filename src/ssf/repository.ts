// Storage of the Shared Signals transmitter: keys, settings, streams, subjects and the outbox, prepared once.
import type { Database } from '../db/database.js';
import type { SsfEventProfile } from '../config.js';
import type { SetClaims } from './events.js';

export interface KeyRow {
  kid: string;
  account_tag: string;
  private_jwk: string;
  public_jwk: string;
  created_at: string;
  retired_at: string | null;
}

export type DeliveryMethod = 'urn:ietf:rfc:8935' | 'urn:ietf:rfc:8936';
export const PUSH: DeliveryMethod = 'urn:ietf:rfc:8935';
export const POLL: DeliveryMethod = 'urn:ietf:rfc:8936';

export type StreamStatus = 'enabled' | 'paused' | 'disabled';

export interface StreamRecord {
  stream_id: string;
  account_tag: string;
  integration_id: string;
  events_requested: string[] | null;
  delivery_method: DeliveryMethod;
  endpoint_url: string | null;
  authorization_header: string | null;
  description: string | null;
  status: StreamStatus;
  reason: string | null;
  disabled_by_transmitter: boolean;
  created_at: string;
}

interface StreamRow extends Omit<StreamRecord, 'events_requested' | 'disabled_by_transmitter'> {
  events_requested: string | null;
  disabled_by_transmitter: 0 | 1;
}

export type OutboxStatus = 'pending' | 'delivered' | 'failed' | 'held' | 'queued' | 'acknowledged' | 'dropped' | 'canceled';

/** One push attempt as the outbox keeps it. */
interface AttemptRecord {
  at: string;
  http_status: number | null;
  error: string | null;
  /** The start of the receiver's answer. */
  answer: string | null;
  /** Where a 3xx pointed (redirects are never followed). */
  location: string | null;
}

export interface OutboxRecord {
  seq: number;
  jti: string;
  account_tag: string;
  integration_id: string;
  stream_id: string | null;
  txn: string;
  event_type: string;
  delivery: 'push' | 'poll';
  target: string | null;
  authorization: string | null;
  claims: SetClaims;
  token: string | null;
  kid: string | null;
  status: OutboxStatus;
  attempts: number;
  http_status: number | null;
  error: string | null;
  created_at: string;
  last_attempt_at: string | null;
  delivered_at: string | null;
  /** When the worker tries it next (ms since the epoch): only on the oldest pending SET of its lane. */
  next_attempt_at: number | null;
  attempt_log: AttemptRecord[];
}

/** An outbox row as stored: JSON columns unparsed (the push worker parses them itself, and survives a bad one). */
export interface OutboxRow extends Omit<OutboxRecord, 'claims' | 'attempt_log'> {
  lane: string;
  claims: string;
  attempt_log: string;
}

export type NewOutboxEntry = Pick<
  OutboxRecord,
  'jti' | 'account_tag' | 'integration_id' | 'stream_id' | 'txn' | 'event_type' | 'delivery' | 'target' | 'authorization' | 'claims' | 'status' | 'error' | 'created_at'
>;

/** The outcome of one push attempt: the SET's new status and, while it stays pending, when it is tried next. */
export interface AttemptOutcome {
  jti: string;
  /** A signature made for this attempt, stored with it (null: the stored one was sent). */
  token: string | null;
  kid: string | null;
  lane: string;
  integrationId: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  http_status: number | null;
  error: string | null;
  at: string;
  delivered_at: string | null;
  next_attempt_at: number | null;
  log: AttemptRecord;
}

/** The lane of the integration's own Okta tenant (a stream's lane is its stream id). */
export function tenantLane(integrationId: string): string {
  return `tenant:${integrationId}`;
}

/** The lane a SET goes out in: its stream's, or its integration's tenant's (as migration 0004's lane column). */
export function laneOf(entry: { stream_id: string | null; integration_id: string }): string {
  return entry.stream_id ?? tenantLane(entry.integration_id);
}

export interface OutboxFilter {
  account_id?: string;
  integration_id?: string;
  stream_id?: string;
  status?: OutboxStatus;
  limit: number;
}

const STREAM_COLUMNS =
  'stream_id, account_tag, integration_id, events_requested, delivery_method, endpoint_url, authorization_header, description, status, reason, disabled_by_transmitter, created_at';
const OUTBOX_COLUMNS =
  'seq, jti, account_tag, integration_id, stream_id, lane, txn, event_type, delivery, target, authorization, claims, token, kid, status, attempts, http_status, error, created_at, last_attempt_at, delivered_at, next_attempt_at, attempt_log';
/** Statuses of a SET that is done: kept for the record, and pruned past the retention. */
const FINISHED = "status NOT IN ('pending', 'held', 'queued')";

function toStream(row: StreamRow): StreamRecord {
  return {
    ...row,
    events_requested: row.events_requested === null ? null : (JSON.parse(row.events_requested) as string[]),
    disabled_by_transmitter: row.disabled_by_transmitter === 1,
  };
}

/** A JSON column as stored; a value that does not parse (a database edited by hand) reads as `fallback`. */
function parsed<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function toOutbox({ lane: _lane, ...row }: OutboxRow): OutboxRecord {
  return { ...row, claims: parsed(row.claims, {} as SetClaims), attempt_log: parsed<AttemptRecord[]>(row.attempt_log, []) };
}

export class SsfRepository {
  private readonly s;

  constructor(private readonly db: Database) {
    const p = <P extends unknown[] | object, R = unknown>(sql: string) => db.prepare<P, R>(sql);
    this.s = {
      keys: p<[string], KeyRow>('SELECT * FROM ssf_keys WHERE account_tag = ? ORDER BY rowid DESC'),
      currentKey: p<[string], KeyRow>('SELECT * FROM ssf_keys WHERE account_tag = ? AND retired_at IS NULL ORDER BY rowid DESC LIMIT 1'),
      insertKey: p<KeyRow>(
        'INSERT INTO ssf_keys (kid, account_tag, private_jwk, public_jwk, created_at, retired_at) VALUES (@kid, @account_tag, @private_jwk, @public_jwk, @created_at, @retired_at)',
      ),
      hasKey: p<[string, string], number>('SELECT 1 FROM ssf_keys WHERE account_tag = ? AND kid = ?'),
      retireKeys: p<[string, string]>('UPDATE ssf_keys SET retired_at = ? WHERE account_tag = ? AND retired_at IS NULL'),

      profile: p<[string], { event_profile: SsfEventProfile | null }>('SELECT event_profile FROM ssf_integration_settings WHERE integration_id = ?'),
      setProfile: p<[string, string, SsfEventProfile | null]>(
        `INSERT INTO ssf_integration_settings (integration_id, account_tag, event_profile) VALUES (?, ?, ?)
         ON CONFLICT (integration_id) DO UPDATE SET event_profile = excluded.event_profile`,
      ),
      deleteSettings: p<[string]>('DELETE FROM ssf_integration_settings WHERE integration_id = ?'),

      stream: p<[string, string], StreamRow>(`SELECT ${STREAM_COLUMNS} FROM ssf_streams WHERE integration_id = ? AND stream_id = ?`),
      streams: p<[string], StreamRow>(`SELECT ${STREAM_COLUMNS} FROM ssf_streams WHERE integration_id = ? ORDER BY rowid`),
      insertStream: p<StreamRow>(
        `INSERT INTO ssf_streams (${STREAM_COLUMNS}) VALUES (@stream_id, @account_tag, @integration_id, @events_requested, @delivery_method,
         @endpoint_url, @authorization_header, @description, @status, @reason, @disabled_by_transmitter, @created_at)`,
      ),
      updateStream: p<StreamRow>(
        `UPDATE ssf_streams SET events_requested = @events_requested, delivery_method = @delivery_method, endpoint_url = @endpoint_url,
         authorization_header = @authorization_header, description = @description, status = @status, reason = @reason,
         disabled_by_transmitter = @disabled_by_transmitter WHERE stream_id = @stream_id`,
      ),
      deleteStream: p<[string]>('DELETE FROM ssf_streams WHERE stream_id = ?'),
      deleteStreamsOf: p<[string]>('DELETE FROM ssf_streams WHERE integration_id = ?'),

      subject: p<[string, string], { included: 0 | 1 }>('SELECT included FROM ssf_stream_subjects WHERE stream_id = ? AND subject_key = ?'),
      setSubject: p<[string, string, string, string, number]>(
        `INSERT INTO ssf_stream_subjects (stream_id, account_tag, subject_key, subject, included) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (stream_id, subject_key) DO UPDATE SET subject = excluded.subject, included = excluded.included`,
      ),
      deleteSubjectsOfStream: p<[string]>('DELETE FROM ssf_stream_subjects WHERE stream_id = ?'),
      deleteSubjectsOf: p<[string]>('DELETE FROM ssf_stream_subjects WHERE stream_id IN (SELECT stream_id FROM ssf_streams WHERE integration_id = ?)'),

      insertOutbox: p<Omit<NewOutboxEntry, 'claims'> & { claims: string }>(
        `INSERT INTO ssf_outbox (jti, account_tag, integration_id, stream_id, txn, event_type, delivery, target, authorization, claims, status, error, created_at)
         VALUES (@jti, @account_tag, @integration_id, @stream_id, @txn, @event_type, @delivery, @target, @authorization, @claims, @status, @error, @created_at)`,
      ),
      // The oldest pending SET of a lane gets a time if it has none: after an enqueue, a finished head, a release.
      refreshLane: p<{ lane: string; now: number }>(
        `UPDATE ssf_outbox SET next_attempt_at = @now WHERE next_attempt_at IS NULL
         AND seq = (SELECT seq FROM ssf_outbox WHERE lane = @lane AND status = 'pending' ORDER BY seq LIMIT 1)`,
      ),
      clearHeads: p<[]>(`UPDATE ssf_outbox SET next_attempt_at = NULL WHERE status = 'pending' AND next_attempt_at IS NOT NULL`),
      setHeads: p<[number]>(
        `UPDATE ssf_outbox SET next_attempt_at = ? WHERE seq IN (SELECT min(seq) FROM ssf_outbox WHERE status = 'pending' GROUP BY lane)`,
      ),
      due: p<[number, number], OutboxRow>(
        `SELECT ${OUTBOX_COLUMNS} FROM ssf_outbox WHERE status = 'pending' AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?
         ORDER BY next_attempt_at LIMIT ?`,
      ),
      nextDueAfter: p<[number], number | null>(`SELECT min(next_attempt_at) FROM ssf_outbox WHERE status = 'pending' AND next_attempt_at > ?`),
      setToken: p<[string, string, string]>('UPDATE ssf_outbox SET token = ?, kid = ? WHERE jti = ?'),
      recordAttempt: p<Omit<AttemptOutcome, 'lane' | 'integrationId' | 'log'> & { log: string }>(
        `UPDATE ssf_outbox SET status = @status, attempts = @attempts, http_status = @http_status, error = @error,
         last_attempt_at = @at, delivered_at = @delivered_at, next_attempt_at = @next_attempt_at,
         token = coalesce(@token, token), kid = coalesce(@kid, kid),
         attempt_log = json_insert(attempt_log, '$[#]', json(@log)) WHERE jti = @jti AND status = 'pending'`,
      ),
      hold: p<[string, string]>(`UPDATE ssf_outbox SET status = 'held', error = ?, next_attempt_at = NULL WHERE jti = ? AND status = 'pending'`),
      prune: p<[string, string, number]>(
        `DELETE FROM ssf_outbox WHERE integration_id = ? AND ${FINISHED} AND seq <= (
           SELECT seq FROM ssf_outbox WHERE integration_id = ? AND ${FINISHED} ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      ),
      behind: p<[string, number, number], OutboxRow>(
        `SELECT ${OUTBOX_COLUMNS} FROM ssf_outbox WHERE lane = ? AND status = 'pending' AND seq > ? ORDER BY seq LIMIT ?`,
      ),
      waiting: p<[string, string, number], OutboxRow>(`SELECT ${OUTBOX_COLUMNS} FROM ssf_outbox WHERE lane = ? AND status = ? ORDER BY seq LIMIT ?`),
      countWaiting: p<[string, string], number>(`SELECT count(*) FROM ssf_outbox WHERE lane = ? AND status = ?`),
      markPolled: p<[string, string]>('UPDATE ssf_outbox SET attempts = attempts + 1, last_attempt_at = ? WHERE jti = ?'),
      acknowledge: p<[string, string, string, string]>(
        `UPDATE ssf_outbox SET status = 'acknowledged', delivered_at = ? WHERE lane = ? AND jti = ? AND status = ?`,
      ),
      rejectPolled: p<[string, string, string, string]>(`UPDATE ssf_outbox SET status = 'failed', error = ? WHERE lane = ? AND jti = ? AND status = ?`),
      release: p<[string, string]>(`UPDATE ssf_outbox SET status = ? WHERE stream_id = ? AND status = 'held'`),
      dropHeld: p<[string]>(`UPDATE ssf_outbox SET status = 'dropped', error = 'stream disabled' WHERE stream_id = ? AND status = 'held'`),
      cancelTenantPushes: p<[string, string]>(
        `UPDATE ssf_outbox SET status = 'canceled', error = ? WHERE lane = ? AND status IN ('pending', 'held')`,
      ),
      cancelAll: p<[string, string]>(
        `UPDATE ssf_outbox SET status = 'canceled', error = ? WHERE integration_id = ? AND status IN ('pending', 'held', 'queued')`,
      ),
      cancelStream: p<[string, string]>(
        `UPDATE ssf_outbox SET status = 'canceled', error = ? WHERE stream_id = ? AND status IN ('pending', 'held', 'queued')`,
      ),
      list: p<{ account_id: string | null; integration_id: string | null; stream_id: string | null; status: string | null; limit: number }, OutboxRow>(
        `SELECT ${OUTBOX_COLUMNS} FROM ssf_outbox
         WHERE (@account_id IS NULL OR account_tag = @account_id) AND (@integration_id IS NULL OR integration_id = @integration_id)
           AND (@stream_id IS NULL OR stream_id = @stream_id) AND (@status IS NULL OR status = @status)
         ORDER BY seq LIMIT @limit`,
      ),
    };
  }

  // ---- keys
  keys(accountId: string): KeyRow[] {
    return this.s.keys.all(accountId);
  }

  /** Whether `kid` is one of the account's keys (current or retired). */
  hasKey(accountId: string, kid: string): boolean {
    return this.s.hasKey.pluck().get(accountId, kid) !== undefined;
  }

  currentKey(accountId: string): KeyRow | undefined {
    return this.s.currentKey.get(accountId);
  }

  /** Adds a key as the account's signing key; the previous ones are retired (still published). */
  addKey(key: Omit<KeyRow, 'retired_at'>): void {
    this.db.transaction(() => {
      this.s.retireKeys.run(key.created_at, key.account_tag);
      this.s.insertKey.run({ ...key, retired_at: null });
    })();
  }

  // ---- settings
  eventProfile(integrationId: string): SsfEventProfile | null {
    return this.s.profile.get(integrationId)?.event_profile ?? null;
  }

  setEventProfile(accountId: string, integrationId: string, profile: SsfEventProfile | null): void {
    this.s.setProfile.run(integrationId, accountId, profile);
  }

  // ---- streams
  stream(integrationId: string, streamId: string): StreamRecord | undefined {
    const row = this.s.stream.get(integrationId, streamId);
    return row && toStream(row);
  }

  streams(integrationId: string): StreamRecord[] {
    return this.s.streams.all(integrationId).map(toStream);
  }

  private toRow(stream: StreamRecord): StreamRow {
    return {
      ...stream,
      events_requested: stream.events_requested === null ? null : JSON.stringify(stream.events_requested),
      disabled_by_transmitter: stream.disabled_by_transmitter ? 1 : 0,
    };
  }

  insertStream(stream: StreamRecord): void {
    this.s.insertStream.run(this.toRow(stream));
  }

  /** Saves a stream; a status change releases held SETs (enabled) or drops them (disabled) in the same transaction. */
  saveStream(stream: StreamRecord): void {
    this.db.transaction(() => {
      this.s.updateStream.run(this.toRow(stream));
      if (stream.status === 'enabled') {
        this.s.release.run(stream.delivery_method === PUSH ? 'pending' : 'queued', stream.stream_id);
        this.s.refreshLane.run({ lane: stream.stream_id, now: Date.now() });
      } else if (stream.status === 'disabled') {
        this.s.dropHeld.run(stream.stream_id);
      }
    })();
  }

  deleteStream(streamId: string): void {
    this.db.transaction(() => {
      this.s.cancelStream.run('stream deleted', streamId);
      this.s.deleteSubjectsOfStream.run(streamId);
      this.s.deleteStream.run(streamId);
    })();
  }

  /** Everything the transmitter keeps about an integration goes; its outbox rows stay, canceled, for the record. */
  forgetIntegration(integrationId: string): void {
    this.db.transaction(() => {
      this.s.cancelAll.run('integration deleted', integrationId);
      this.s.deleteSubjectsOf.run(integrationId);
      this.s.deleteStreamsOf.run(integrationId);
      this.s.deleteSettings.run(integrationId);
    })();
  }

  // ---- subjects
  /** true: explicitly added, false: removed, undefined: never mentioned. */
  subjectIncluded(streamId: string, subjectKey: string): boolean | undefined {
    const row = this.s.subject.get(streamId, subjectKey);
    return row === undefined ? undefined : row.included === 1;
  }

  setSubject(stream: StreamRecord, subjectKey: string, subject: unknown, included: boolean): void {
    this.s.setSubject.run(stream.stream_id, stream.account_tag, subjectKey, JSON.stringify(subject), included ? 1 : 0);
  }

  // ---- outbox
  /**
   * Records SETs in the order given (their delivery order). A pending SET that is the first of its lane is due at
   * once; the others wait behind it. Runs inside the caller's transaction when there is one (better-sqlite3 nests
   * it as a savepoint), so a change and the SETs it causes are stored together or not at all.
   */
  enqueue(entries: NewOutboxEntry[]): void {
    if (entries.length === 0) return;
    this.db.transaction(() => {
      const lanes = new Set<string>();
      for (const entry of entries) {
        this.s.insertOutbox.run({ ...entry, claims: JSON.stringify(entry.claims) });
        if (entry.status === 'pending') lanes.add(laneOf(entry));
      }
      const now = Date.now();
      for (const lane of lanes) this.s.refreshLane.run({ lane, now });
    })();
  }

  /** Up to `limit` SETs due by `now`: at most one per lane, its oldest pending one. */
  due(now: number, limit: number): OutboxRow[] {
    return this.s.due.all(now, limit);
  }

  /** The next `limit` pending SETs of a lane after `seq`, in order. */
  behind(lane: string, seq: number, limit: number): OutboxRow[] {
    return this.s.behind.all(lane, seq, limit);
  }

  /** When the next SET waiting on a backoff is due (ms since the epoch, after `now`), or null when none is. */
  nextDueAfter(now: number): number | null {
    return this.s.nextDueAfter.pluck().get(now) as number | null;
  }

  /** Makes the oldest pending SET of every lane due now: at start-up, and after state was replaced. */
  resetLanes(now: number): void {
    this.db.transaction(() => {
      this.s.clearHeads.run();
      this.s.setHeads.run(now);
    })();
  }

  setToken(jti: string, token: string, kid: string): void {
    this.s.setToken.run(token, kid, jti);
  }

  /**
   * Records one push attempt. A SET that is done hands its lane to the next one, and the integration's finished
   * SETs beyond `keep` are pruned, oldest first.
   */
  recordAttempt(outcome: AttemptOutcome, keep: number): void {
    const { lane, integrationId, log, ...row } = outcome;
    this.db.transaction(() => {
      this.s.recordAttempt.run({ ...row, log: JSON.stringify(log) });
      if (outcome.status === 'pending') return;
      this.s.refreshLane.run({ lane, now: Date.now() });
      this.s.prune.run(integrationId, integrationId, keep);
    })();
  }

  /** Holds a pending SET instead of pushing it (SSF_PUSH); the next one of its lane becomes due. */
  hold(jti: string, lane: string, reason: string): void {
    this.db.transaction(() => {
      this.s.hold.run(reason, jti);
      this.s.refreshLane.run({ lane, now: Date.now() });
    })();
  }

  cancelTenantPushes(integrationId: string, reason: string): void {
    this.s.cancelTenantPushes.run(reason, tenantLane(integrationId));
  }

  /**
   * One RFC 8936 poll of a lane's SETs in `status` (a poll stream's queued ones, or the held pushes of an
   * integration's tenant): acknowledges, records receiver errors, then returns up to `max` of them in order
   * (unacknowledged ones come again) and whether more are waiting.
   */
  poll(lane: string, status: 'queued' | 'held', ack: string[], errors: Record<string, string>, max: number, at: string): { entries: OutboxRow[]; more: boolean } {
    return this.db.transaction(() => {
      for (const jti of ack) this.s.acknowledge.run(at, lane, jti, status);
      for (const [jti, error] of Object.entries(errors)) this.s.rejectPolled.run(error, lane, jti, status);
      const entries = max > 0 ? this.s.waiting.all(lane, status, max) : [];
      for (const entry of entries) this.s.markPolled.run(at, entry.jti);
      const total = this.s.countWaiting.pluck().get(lane, status) as number;
      return { entries, more: total > entries.length };
    })();
  }

  list(filter: OutboxFilter): OutboxRecord[] {
    return this.s.list
      .all({
        account_id: filter.account_id ?? null,
        integration_id: filter.integration_id ?? null,
        stream_id: filter.stream_id ?? null,
        status: filter.status ?? null,
        limit: filter.limit,
      })
      .map(toOutbox);
  }
}
