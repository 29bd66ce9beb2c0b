// Announces changes to integrations so other features (the Shared Signals transmitter) can react,
// e.g. with a stream-updated SET when an integration is deactivated. Subscribers never fail the API call.
import type { IntegrationRecord } from './repository.js';

export type IntegrationEvent =
  | { kind: 'created'; integration: IntegrationRecord }
  | { kind: 'updated'; before: IntegrationRecord; integration: IntegrationRecord }
  | { kind: 'deleted'; integration: IntegrationRecord };

export type IntegrationListener = (event: IntegrationEvent) => void;

export class IntegrationEvents {
  private readonly listeners = new Set<IntegrationListener>();

  subscribe(listener: IntegrationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: IntegrationEvent, onError: (error: unknown) => void = () => {}): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        onError(error);
      }
    }
  }
}
