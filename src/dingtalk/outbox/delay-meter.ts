/**
 * Local time for the rate limiter: monotonic (NTP steps of the wall clock would break {@link ClockOffset}),
 * in ms since the epoch like the database clock.
 */
export function localNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * How the database clock relates to {@link localNow}: a query that read the database clock at `db` was sent at
 * `sentAt` and answered at `recvAt` (local), so db − recvAt ≤ offset ≤ db − sentAt. The tightest bounds over
 * recent queries pin the offset to within the fastest round trip, so a database time can be turned into a
 * local time that is surely not before it ({@link low}) and one surely not after it ({@link high}).
 */
export interface ClockOffset {
  observe(db: number, sentAt: number, recvAt: number): void;
  /** Local = db − offset; db − low() is surely not before the database moment. */
  low(): number;
  /** db − high() is surely not after the database moment. */
  high(): number;
}

export function createClockOffset(samples = 50): ClockOffset {
  const lows: number[] = [];
  const highs: number[] = [];
  return {
    observe(db, sentAt, recvAt) {
      lows.push(db - recvAt);
      highs.push(db - sentAt);
      if (lows.length > samples) lows.shift();
      if (highs.length > samples) highs.shift();
    },
    low: () => Math.max(...lows),
    high: () => Math.min(...highs),
  };
}

/**
 * Measures, per process, the delays a slot's margin must cover, and turns them into the margin slots declare.
 * `pre` is from the slot (its earliest local time, `Slot.from`) to starting the call. The worker bounds it: it
 * gives back a slot it could not start within `preBudgetMs` (twice the recent 90th percentile, so stalls, not
 * ordinary jitter, cost a release). `net` is from starting the call to its answer: a round trip, so it bounds
 * the one-way trip to DingTalk's clock stamp. It cannot be bounded beforehand, so the margin covers the longest
 * recent one, with room to spare.
 */
export interface DelayMeter {
  observePre(ms: number): void;
  observeNet(ms: number): void;
  budget(): { preBudgetMs: number; marginMs: number };
}

export interface DelayMeterOptions {
  /** How many recent calls the figures come from (default 200: ten seconds at 20 QPS). */
  samples?: number;
  /** Before any call was measured (default 50 and 100 ms: cautious for the first few calls). */
  initialPreMs?: number;
  initialNetMs?: number;
  /** Bounds of the margin (default 10 and 1000 ms). */
  minMarginMs?: number;
  maxMarginMs?: number;
}

export function createDelayMeter(opts: DelayMeterOptions = {}): DelayMeter {
  const size = opts.samples ?? 200;
  const pre: number[] = [];
  const net: number[] = [];
  const push = (ring: number[], ms: number) => {
    ring.push(Math.max(0, ms));
    if (ring.length > size) ring.shift();
  };
  return {
    observePre: (ms) => push(pre, ms),
    observeNet: (ms) => push(net, ms),
    budget() {
      const p90 = pre.length ? [...pre].sort((a, b) => a - b)[Math.floor(pre.length * 0.9)]! : undefined;
      const preBudgetMs = p90 === undefined ? (opts.initialPreMs ?? 50) : Math.min(300, Math.ceil(2 * p90 + 3));
      // Half again the longest recent trip, and a scheduler tick: the next stall may be longer than any of these.
      const netMs = net.length ? 1.5 * Math.max(...net) + 5 : (opts.initialNetMs ?? 100);
      const marginMs = Math.min(opts.maxMarginMs ?? 1000, Math.max(opts.minMarginMs ?? 10, preBudgetMs + netMs));
      return { preBudgetMs: Math.min(preBudgetMs, marginMs), marginMs: Math.ceil(marginMs) };
    },
  };
}
