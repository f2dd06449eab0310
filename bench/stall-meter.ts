import { constants, type PerformanceEntry, PerformanceObserver } from "node:perf_hooks";

/**
 * What held a thread up during a run, with wall-clock times so that slow pushes can be matched against it:
 * garbage-collection pauses (perf_hooks "gc" entries, this thread's heap only) and event-loop stalls (a 5 ms
 * timer that fired late: whatever ran on the loop for that long, GC included). Run one per thread: the service's
 * (main) and the people's worker, whose loop stamps frames sent and acks received.
 */
export interface Stall {
  /** Epoch ms when it began and how long it lasted. */
  at: number;
  ms: number;
  kind: string;
}

export interface StallMeter {
  stop(): Stall[];
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "gc major",
  [constants.NODE_PERFORMANCE_GC_MINOR]: "gc minor",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "gc incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "gc weakcb",
};

/** Stalls of at least `minMs` on this thread from now until stop(). */
export function startStallMeter(minMs = 20): StallMeter {
  const stalls: Stall[] = [];
  const epoch = (t: number) => performance.timeOrigin + t;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1;
      if (e.duration >= minMs) stalls.push({ at: epoch(e.startTime), ms: e.duration, kind: GC_KINDS[kind] ?? "gc" });
    }
  });
  gc.observe({ entryTypes: ["gc"] });
  const tick = 5;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - last - tick;
    if (late >= minMs) stalls.push({ at: epoch(last + tick), ms: late, kind: "loop" });
    last = now;
  }, tick);
  return {
    stop() {
      clearInterval(timer);
      gc.disconnect();
      return stalls;
    },
  };
}

/** "3 gc major (max 41 ms, 95 ms in all), 12 loop (max 88 ms, 410 ms in all)". */
export function stallSummary(stalls: Stall[]): string {
  const byKind = new Map<string, number[]>();
  for (const s of stalls) byKind.set(s.kind, [...(byKind.get(s.kind) ?? []), s.ms]);
  if (byKind.size === 0) return "none";
  return [...byKind]
    .map(([kind, ms]) => {
      const max = Math.max(...ms).toFixed(0);
      const sum = ms.reduce((a, b) => a + b, 0).toFixed(0);
      return `${ms.length} ${kind} (max ${max} ms, ${sum} ms in all)`;
    })
    .join(", ");
}

/** How many of the windows [from, to] overlap some stall in `stalls`. */
export function overlapping(windows: { from: number; to: number }[], stalls: Stall[]): number {
  return windows.filter((w) => stalls.some((s) => s.at < w.to && s.at + s.ms > w.from)).length;
}
