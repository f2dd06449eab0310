import { matchesApi } from "./request-log.ts";

/** Faults a test or the sandbox switches on through the control API (docs/dingtalk.md §10 item 15). */
export interface Faults {
  /** Ignore the next `count` acks of pushes (they are then redelivered, if redelivery is on). */
  dropAcks(count: number): void;
  /** True (and counts down) when this ack must be ignored. */
  takeDroppedAck(): boolean;
  /** Acks are processed this much later than they arrive. */
  ackDelayMs: number;
  /** The next `count` calls to `api` (`METHOD path` or a path) answer 500 `system.busy`. */
  fail5xx(api: string, count: number): void;
  /** True (and counts down) when this call must fail. */
  takeFailure(method: string, path: string): boolean;
  /** Every API answer is delayed this much. */
  latencyMs: number;
  reset(): void;
}

/** No faults until the control API asks for them. */
export function createFaults(): Faults {
  let droppedAcks = 0;
  let failures: { api: string; remaining: number }[] = [];
  return {
    ackDelayMs: 0,
    latencyMs: 0,
    dropAcks(count) {
      droppedAcks = Math.max(0, Math.floor(count));
    },
    takeDroppedAck() {
      if (droppedAcks <= 0) return false;
      droppedAcks--;
      return true;
    },
    fail5xx(api, count) {
      failures = failures.filter((f) => f.api !== api);
      if (count > 0) failures.push({ api, remaining: Math.floor(count) });
    },
    takeFailure(method, path) {
      const record = { api: `${method.toUpperCase()} ${path}`, path };
      const failure = failures.find((f) => f.remaining > 0 && matchesApi(record, f.api));
      if (!failure) return false;
      failure.remaining--;
      return true;
    },
    reset() {
      droppedAcks = 0;
      failures = [];
      this.ackDelayMs = 0;
      this.latencyMs = 0;
    },
  };
}
