// The transmitter: turns level changes and integration changes into SETs in the outbox, and manages SSF streams.
import type { SsfEventProfile } from '../config.js';
import type { IntegrationEvent } from '../integrations/events.js';
import type { IntegrationRecord } from '../integrations/repository.js';
import type { LevelChange } from '../risk/levelChanges.js';
import {
  EVENTS_SUPPORTED,
  riskChangeClaims,
  RISK_EVENT_TYPES,
  streamUpdatedClaims,
  verificationClaims,
  type Envelope,
  type SetClaims,
} from './events.js';
import { PUSH, type NewOutboxEntry, type SsfRepository, type StreamRecord, type StreamStatus } from './repository.js';

export interface TransmitterDeps {
  repository: SsfRepository;
  ssfBaseUrl: () => string;
  defaultProfile: SsfEventProfile;
  listActive: (accountId: string) => IntegrationRecord[];
  now: () => Date;
  newId: () => string;
  /** Called after SETs were recorded: wakes the push worker and waiting polls. */
  onEnqueued: (streamIds: string[]) => void;
}

const RISK_TYPES = new Set<string>(Object.values(RISK_EVENT_TYPES));

export function issuerOf(ssfBaseUrl: string, integrationId: string): string {
  return `${ssfBaseUrl}/${integrationId}`;
}

/** Okta's SET receiver: POST {tenant_url}/security/api/v1/security-events. */
export function tenantPushUrl(tenantUrl: string): string {
  return `${tenantUrl.replace(/\/+$/, '')}/security/api/v1/security-events`;
}

/** A subject's identity for add/remove: emails compare case-insensitively, other formats by their members. */
export function subjectKey(subject: Record<string, unknown>): string {
  if (subject.format === 'email' && typeof subject.email === 'string') return `email:${subject.email.toLowerCase()}`;
  const sorted = Object.keys(subject)
    .sort()
    .map((k) => [k, subject[k]]);
  return `json:${JSON.stringify(sorted)}`;
}

export class Transmitter {
  constructor(private readonly deps: TransmitterDeps) {}

  profileOf(integrationId: string): SsfEventProfile {
    return this.deps.repository.eventProfile(integrationId) ?? this.deps.defaultProfile;
  }

  /** What a stream receives: the risk event types it asked for that we support, or its integration's profile. */
  eventsDelivered(stream: StreamRecord): string[] {
    if (stream.events_requested === null) return [RISK_EVENT_TYPES[this.profileOf(stream.integration_id)]];
    return stream.events_requested.filter((type) => EVENTS_SUPPORTED.includes(type));
  }

  private envelope(integration: IntegrationRecord, txn: string, iat: number): Envelope {
    return { iss: issuerOf(this.deps.ssfBaseUrl(), integration.id), aud: integration.tenant_url, iat, jti: this.deps.newId(), txn };
  }

  private entry(integration: IntegrationRecord, claims: SetClaims, stream: StreamRecord | undefined, status: NewOutboxEntry['status']): NewOutboxEntry {
    const push = stream === undefined || stream.delivery_method === PUSH;
    return {
      jti: claims.jti,
      account_tag: integration.account_tag,
      integration_id: integration.id,
      stream_id: stream?.stream_id ?? null,
      txn: claims.txn,
      event_type: Object.keys(claims.events)[0] as string,
      delivery: push ? 'push' : 'poll',
      target: stream === undefined ? tenantPushUrl(integration.tenant_url) : push ? stream.endpoint_url : null,
      authorization: stream?.authorization_header ?? null,
      claims,
      status,
      created_at: this.deps.now().toISOString(),
    };
  }

  /** Where a new SET of a stream goes: held while paused, otherwise sent (push) or offered (poll). */
  private statusFor(stream: StreamRecord): NewOutboxEntry['status'] {
    if (stream.status === 'paused') return 'held';
    return stream.delivery_method === PUSH ? 'pending' : 'queued';
  }

  private record(entries: NewOutboxEntry[]): void {
    this.deps.repository.enqueue(entries);
    const streams = [...new Set(entries.map((e) => e.stream_id).filter((id): id is string => id !== null))];
    if (entries.length > 0) this.deps.onEnqueued(streams);
  }

  /** One SET per active integration (to its Okta tenant) and per matching stream, all sharing one txn. */
  levelChanged(change: LevelChange): void {
    const integrations = this.deps.listActive(change.accountId);
    if (integrations.length === 0) return;
    const txn = this.deps.newId();
    const iat = Math.floor(this.deps.now().getTime() / 1000);
    const entries: NewOutboxEntry[] = [];
    for (const integration of integrations) {
      const type = RISK_EVENT_TYPES[this.profileOf(integration.id)];
      entries.push(this.entry(integration, riskChangeClaims(this.envelope(integration, txn, iat), type, change), undefined, 'pending'));
      for (const stream of this.deps.repository.streams(integration.id)) {
        if (stream.status === 'disabled' || !this.concerns(stream, change)) continue;
        for (const streamType of this.eventsDelivered(stream).filter((t) => RISK_TYPES.has(t))) {
          const claims = riskChangeClaims(this.envelope(integration, txn, iat), streamType, change);
          entries.push(this.entry(integration, claims, stream, this.statusFor(stream)));
        }
      }
    }
    this.record(entries);
  }

  /** default_subjects is ALL: every user, unless the receiver removed them from the stream. */
  private concerns(stream: StreamRecord, change: LevelChange): boolean {
    const byEmail = this.deps.repository.subjectIncluded(stream.stream_id, subjectKey({ format: 'email', email: change.email }));
    const byId = this.deps.repository.subjectIncluded(stream.stream_id, subjectKey({ format: 'opaque', id: change.userId }));
    return byEmail !== false && byId !== false;
  }

  integrationChanged(event: IntegrationEvent): void {
    const { repository } = this.deps;
    const integration = event.integration;
    if (event.kind === 'deleted') {
      repository.forgetIntegration(integration.id);
      return;
    }
    if (event.kind !== 'updated' || event.before.active === integration.active) return;
    const entries: NewOutboxEntry[] = [];
    const txn = this.deps.newId();
    const iat = Math.floor(this.deps.now().getTime() / 1000);
    if (!integration.active) {
      // An inactive integration sends nothing more to its tenant, not even what was still being retried.
      repository.cancelTenantPushes(integration.id, 'integration deactivated');
      for (const stream of repository.streams(integration.id)) {
        if (stream.status === 'disabled') continue;
        const reason = 'Integration deactivated';
        entries.push(this.streamUpdated(integration, stream, 'disabled', reason, txn, iat));
        repository.saveStream({ ...stream, status: 'disabled', reason, disabled_by_transmitter: true });
      }
    } else {
      for (const stream of repository.streams(integration.id)) {
        if (!stream.disabled_by_transmitter) continue;
        const reason = 'Integration reactivated';
        repository.saveStream({ ...stream, status: 'enabled', reason, disabled_by_transmitter: false });
        entries.push(this.streamUpdated(integration, stream, 'enabled', reason, txn, iat));
      }
    }
    this.record(entries);
  }

  /** The announcement itself is always sent, whatever the stream's state, since it tells the receiver about it. */
  private streamUpdated(integration: IntegrationRecord, stream: StreamRecord, status: StreamStatus, reason: string, txn: string, iat: number): NewOutboxEntry {
    const claims = streamUpdatedClaims(this.envelope(integration, txn, iat), stream.stream_id, status, reason);
    return this.entry(integration, claims, stream, stream.delivery_method === PUSH ? 'pending' : 'queued');
  }

  /** SSF 1.0 §8.1.4: the verification SET echoes the receiver's state; a disabled stream drops it like any SET. */
  verify(integration: IntegrationRecord, stream: StreamRecord, state: string | undefined): void {
    if (stream.status === 'disabled') return;
    const claims = verificationClaims(
      this.envelope(integration, this.deps.newId(), Math.floor(this.deps.now().getTime() / 1000)),
      stream.stream_id,
      state,
    );
    this.record([this.entry(integration, claims, stream, this.statusFor(stream))]);
  }

  /** A status change by the receiver; enabling releases held SETs in order. */
  setStatus(stream: StreamRecord, status: StreamStatus, reason: string | null): StreamRecord {
    const updated = { ...stream, status, reason, disabled_by_transmitter: false };
    this.deps.repository.saveStream(updated);
    if (status === 'enabled' && stream.status !== 'enabled') this.deps.onEnqueued([stream.stream_id]);
    return updated;
  }
}
