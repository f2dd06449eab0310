/**
 * The emulator's notion of "now" for expiries (tickets 90 s, tokens 7200 s, session webhooks 90 min). Tests and
 * the sandbox move it forward instead of waiting; timers for acks, pings and redelivery use real time.
 */
export interface Clock {
  now(): number;
  /** Moves "now" forward by `ms` (never backwards). */
  advance(ms: number): void;
  reset(): void;
}

/** A clock running with `base`, plus whatever `advance()` added. */
export function createClock(base: () => number = Date.now): Clock {
  let offset = 0;
  return {
    now: () => base() + offset,
    advance(ms) {
      if (ms > 0) offset += ms;
    },
    reset() {
      offset = 0;
    },
  };
}
