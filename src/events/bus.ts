/**
 * The in-process event bus. Stages publish typed events; metrics, logs, stats and the TUI subscribe.
 * Publishing is a no-op when nobody listens (the check is one array length), and a subscriber that throws
 * is dropped rather than allowed to break a request.
 */
import type { GatewayEvent } from './types.js';

export type Subscriber = (event: GatewayEvent) => void;

export class EventBus {
  private subscribers: Subscriber[] = [];

  get active(): boolean {
    return this.subscribers.length > 0;
  }

  subscribe(fn: Subscriber): () => void {
    this.subscribers = [...this.subscribers, fn];
    return () => {
      this.subscribers = this.subscribers.filter((s) => s !== fn);
    };
  }

  publish(event: GatewayEvent): void {
    const subs = this.subscribers;
    for (let i = 0; i < subs.length; i++) {
      try {
        subs[i]!(event);
      } catch {
        this.subscribers = this.subscribers.filter((s) => s !== subs[i]);
      }
    }
  }
}
