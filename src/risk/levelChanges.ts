// The one internal interface through which a change of a user's effective risk level is announced.
// The risk feature publishes; the Shared Signals transmitter (and tests) subscribe.
import { Topic } from '../topic.js';

export type RiskLevel = 'low' | 'medium' | 'high';

export interface LevelChange {
  accountId: string;
  userId: string;
  email: string;
  name: string;
  previous: RiskLevel;
  current: RiskLevel;
  /** Human-readable cause, e.g. "Impossible travel triggered" or "Risk score reset by an administrator". */
  reason: string;
  /** What caused it: an injected event, a behavior reconfiguration, or a reset. */
  cause: 'event' | 'behavior' | 'reset';
  /** When the change took effect, RFC 3339 UTC. */
  at: string;
}

export class LevelChanges extends Topic<LevelChange> {}
