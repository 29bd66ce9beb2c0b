// Announces changes to integrations so other features (the Shared Signals transmitter) can react, e.g. with a
// stream-updated SET when an integration is deactivated, in the same transaction as the change.
import { Topic } from '../topic.js';
import type { IntegrationRecord } from './repository.js';

export type IntegrationEvent =
  | { kind: 'created'; integration: IntegrationRecord }
  | { kind: 'updated'; before: IntegrationRecord; integration: IntegrationRecord }
  | { kind: 'deleted'; integration: IntegrationRecord };

export class IntegrationEvents extends Topic<IntegrationEvent> {}
