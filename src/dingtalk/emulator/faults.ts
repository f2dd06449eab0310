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
  /**
   * The next `count` calls to `api` (`METHOD path` or a path) stall: they are handled only `ms` later (or at
   * reset, whichever comes first), as when DingTalk or a proxy on the way stops answering. A caller that gave up
   * meanwhile does not stop its call: it is then served as usual (a card created late, as DingTalk would).
   */
  stall(api: string, count: number, ms: number): void;
  /** How long this call must stall (0: not at all), counting the stall down. */
  takeStall(method: string, path: string): number;
  /** Aborted by reset: ends the stalls under way. */
  readonly stallsEnd: AbortSignal;
  reset(): void;
}

/** No faults until the control API asks for them. */
export function createFaults(): Faults {
  let droppedAcks = 0;
  let failures: { api: string; remaining: number }[] = [];
  let stalls: { api: string; remaining: number; ms: number }[] = [];
  let stallsEnd = new AbortController();
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
    stall(api, count, ms) {
      stalls = stalls.filter((s) => s.api !== api);
      if (count > 0 && ms > 0) stalls.push({ api, remaining: Math.floor(count), ms });
    },
    takeStall(method, path) {
      const record = { api: `${method.toUpperCase()} ${path}`, path };
      const stall = stalls.find((s) => s.remaining > 0 && matchesApi(record, s.api));
      if (!stall) return 0;
      stall.remaining--;
      return stall.ms;
    },
    get stallsEnd() {
      return stallsEnd.signal;
    },
    reset() {
      droppedAcks = 0;
      failures = [];
      stalls = [];
      stallsEnd.abort();
      stallsEnd = new AbortController();
      this.ackDelayMs = 0;
      this.latencyMs = 0;
    },
  };
}
