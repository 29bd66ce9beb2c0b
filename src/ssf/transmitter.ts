// The transmitter: turns level changes and integration changes into SETs in the outbox, and manages SSF streams.
import type { SsfEventProfile } from '../config.js';
import { ApiError, ErrorCode } from '../cloudflare/errors.js';
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
import { signedToken } from './delivery.js';
import type { KeyStore } from './keys.js';
import type { PollWaiters } from './poll.js';
import type { PushPolicy } from './pushPolicy.js';
import { laneOf, POLL, PUSH, tenantLane, type NewOutboxEntry, type SsfRepository, type StreamRecord, type StreamStatus } from './repository.js';
import type { CreateStreamBody, PollBody, UpdateStreamBody } from './schemas.js';

export interface TransmitterDeps {
  repository: SsfRepository;
  ssfBaseUrl: () => string;
  defaultProfile: SsfEventProfile;
  listActive: (accountId: string) => IntegrationRecord[];
  now: () => Date;
  newId: () => string;
  keys: KeyStore;
  waiters: PollWaiters;
  /** SSF_PUSH: a push to a host it does not allow is held in the outbox instead. */
  policy: PushPolicy;
  /** How long a poll without returnImmediately waits for a SET. */
  pollWaitMs: number;
  /** Called after SETs were recorded, with their lanes: wakes the push worker and the polls waiting on them. */
  onEnqueued: (lanes: string[]) => void;
}

/** An RFC 8936 poll's answer: SETs by jti, and whether more are waiting. */
interface PollAnswer {
  sets: Record<string, string>;
  moreAvailable: boolean;
}

/** Receiver-supplied properties of a stream, as stored. */
type ReceiverProperties = Pick<StreamRecord, 'events_requested' | 'delivery_method' | 'endpoint_url' | 'authorization_header' | 'description'>;

/** Receiver-supplied properties, validated: push needs an endpoint_url; poll's is ours to give. */
function receiverProperties(body: CreateStreamBody): ReceiverProperties {
  const method = body.delivery?.method ?? POLL;
  if (method === PUSH && !body.delivery?.endpoint_url) {
    throw new ApiError(400, [
      { code: ErrorCode.ssfInvalidStream, message: 'delivery.endpoint_url is required for push delivery (urn:ietf:rfc:8935)', source: { pointer: '/delivery/endpoint_url' } },
    ]);
  }
  return {
    events_requested: body.events_requested ?? null,
    delivery_method: method,
    endpoint_url: method === PUSH ? (body.delivery?.endpoint_url ?? null) : null,
    authorization_header: method === PUSH ? (body.delivery?.authorization_header ?? null) : null,
    description: body.description ?? null,
  };
}

const RISK_TYPES = new Set<string>(Object.values(RISK_EVENT_TYPES));

export function issuerOf(ssfBaseUrl: string, integrationId: string): string {
  return `${ssfBaseUrl}/${integrationId}`;
}

/** Okta's SET receiver: POST {tenant_url}/security/api/v1/security-events. */
function tenantPushUrl(tenantUrl: string): string {
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
    const target = stream === undefined ? tenantPushUrl(integration.tenant_url) : push ? stream.endpoint_url : null;
    // A push SSF_PUSH does not allow waits in the outbox, held, with the reason.
    const held = status === 'pending' && target !== null ? this.deps.policy.holdReason(target) : undefined;
    return {
      jti: claims.jti,
      account_tag: integration.account_tag,
      integration_id: integration.id,
      stream_id: stream?.stream_id ?? null,
      txn: claims.txn,
      event_type: Object.keys(claims.events)[0] as string,
      delivery: push ? 'push' : 'poll',
      target,
      authorization: stream?.authorization_header ?? null,
      claims,
      status: held === undefined ? status : 'held',
      error: held ?? null,
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
    if (entries.length > 0) this.deps.onEnqueued([...new Set(entries.map(laneOf))]);
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

  /** SSF 1.0 §8.1.1.1: a new stream, enabled; delivery defaults to poll. */
  createStream(integration: IntegrationRecord, body: CreateStreamBody): StreamRecord {
    const stream: StreamRecord = {
      stream_id: this.deps.newId(),
      account_tag: integration.account_tag,
      integration_id: integration.id,
      ...receiverProperties(body),
      status: 'enabled',
      reason: null,
      disabled_by_transmitter: false,
      created_at: this.deps.now().toISOString(),
    };
    this.deps.repository.insertStream(stream);
    return stream;
  }

  /** SSF 1.0 §8.1.1.3-4: PATCH (replace false) keeps what the body leaves out; PUT resets it to a new stream's defaults. */
  updateStream(stream: StreamRecord, body: UpdateStreamBody, replace: boolean): StreamRecord {
    const merged: CreateStreamBody = replace
      ? body
      : {
          events_requested: body.events_requested ?? stream.events_requested ?? undefined,
          delivery: body.delivery ?? {
            method: stream.delivery_method,
            ...(stream.endpoint_url === null ? {} : { endpoint_url: stream.endpoint_url }),
            ...(stream.authorization_header === null ? {} : { authorization_header: stream.authorization_header }),
          },
          description: body.description ?? stream.description ?? undefined,
        };
    const updated: StreamRecord = { ...stream, ...receiverProperties(merged) };
    this.deps.repository.saveStream(updated);
    return updated;
  }

  /**
   * RFC 8936: acknowledges, records the receiver's errors, then answers up to maxEvents queued SETs (signed, in
   * order; unacknowledged ones come again). Without returnImmediately, an empty poll waits for a SET first.
   */
  async poll(stream: StreamRecord, body: PollBody): Promise<PollAnswer> {
    if (stream.delivery_method !== POLL) {
      throw new ApiError(400, [{ code: ErrorCode.ssfInvalidStream, message: `Stream ${stream.stream_id} is delivered by push, not poll` }]);
    }
    return this.pollLane(stream.stream_id, 'queued', body);
  }

  /** RFC 8936 poll of the SETs held for the integration's tenant: the pushes SSF_PUSH did not send. */
  pollHeld(integration: IntegrationRecord, body: PollBody): Promise<PollAnswer> {
    return this.pollLane(tenantLane(integration.id), 'held', body);
  }

  private async pollLane(lane: string, status: 'queued' | 'held', body: PollBody): Promise<PollAnswer> {
    const { repository, keys, waiters, pollWaitMs } = this.deps;
    const max = body.maxEvents ?? 100;
    const errors = Object.fromEntries(
      Object.entries(body.setErrs ?? {}).map(([jti, e]) => [jti, e.description ? `${e.err}: ${e.description}` : e.err]),
    );
    const at = () => this.deps.now().toISOString();
    let result = repository.poll(lane, status, body.ack ?? [], errors, max, at());
    if (result.entries.length === 0 && max > 0 && body.returnImmediately !== true && pollWaitMs > 0) {
      await waiters.wait(lane, pollWaitMs);
      result = repository.poll(lane, status, [], {}, max, at());
    }
    const sets: Record<string, string> = {};
    for (const entry of result.entries) sets[entry.jti] = await signedToken(repository, keys, entry);
    return { sets, moreAvailable: result.more };
  }

  /** A status change by the receiver; enabling releases held SETs in order. */
  setStatus(stream: StreamRecord, status: StreamStatus, reason: string | null): StreamRecord {
    const updated = { ...stream, status, reason, disabled_by_transmitter: false };
    this.deps.repository.saveStream(updated);
    if (status === 'enabled' && stream.status !== 'enabled') this.deps.onEnqueued([stream.stream_id]);
    return updated;
  }
}
