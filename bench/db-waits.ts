import pg from "pg";
import type { Stall } from "./stall-meter.ts";

/**
 * Where a push waited on the database side of this process (PostgreSQL only: the `pg` pool and its clients): a
 * connection asked of the pool that came 10 ms or more later (all connections busy), and a statement whose
 * round trip — sent to the result handed back on this thread — took 20 ms or more (the server's work, a lock,
 * a WAL flush, or this thread busy elsewhere when the answer came). Times are epoch ms, as {@link Stall}'s.
 * Installed before the database is opened (the service keeps its own reference to the pool's `connect`), it
 * records only between `start()` and `stop()`.
 */
export interface DbWaits {
  start(): void;
  stop(): { poolWaits: Stall[]; slowStatements: (Stall & { text: string })[] };
}

export function installDbWaitMeter(): DbWaits {
  let poolWaits: Stall[] = [];
  let slowStatements: (Stall & { text: string })[] = [];
  let armed = false;
  const query = pg.Client.prototype.query;
  const connect = pg.Pool.prototype.connect;
  /** Calls `fn` with `args`, timing it to its callback (a function last in `args`) or to its promise. */
  const timed = (fn: (...a: unknown[]) => unknown, self: unknown, args: unknown[], done: (ms: number) => void) => {
    const t0 = Date.now();
    const last = args.at(-1);
    if (typeof last === "function") {
      args[args.length - 1] = (...r: unknown[]) => {
        if (armed) done(Date.now() - t0);
        return last(...r);
      };
    }
    const result = fn.apply(self, args);
    if (result instanceof Promise)
      result.then(
        () => armed && done(Date.now() - t0),
        () => {},
      );
    return result;
  };
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0];
    const at = Date.now();
    return timed(query as (...a: unknown[]) => unknown, this, args, (ms) => {
      if (ms < 20) return;
      const text = typeof q === "string" ? q : String((q as { text?: unknown })?.text ?? "?");
      slowStatements.push({ at, ms, kind: "statement", text: text.replace(/\s+/g, " ").trim() });
    });
  } as typeof query;
  pg.Pool.prototype.connect = function (this: pg.Pool, ...args: unknown[]) {
    const at = Date.now();
    return timed(connect as (...a: unknown[]) => unknown, this, args, (ms) => {
      if (ms >= 10) poolWaits.push({ at, ms, kind: "pool wait" });
    });
  } as typeof connect;
  return {
    start() {
      poolWaits = [];
      slowStatements = [];
      armed = true;
    },
    stop() {
      armed = false;
      return { poolWaits, slowStatements };
    },
  };
}

/**
 * Runs of events no more than `gapMs` apart, as windows: when the slow things of a run come in bursts (every
 * statement slow at once, the pool empty) rather than spread out, these are the bursts.
 */
export function episodes(events: Stall[], gapMs = 100): { at: number; ms: number; events: number }[] {
  const sorted = [...events].sort((a, b) => a.at - b.at);
  const out: { at: number; ms: number; events: number }[] = [];
  for (const e of sorted) {
    const last = out.at(-1);
    if (last && e.at <= last.at + last.ms + gapMs) {
      last.ms = Math.max(last.ms, e.at + e.ms - last.at);
      last.events++;
    } else out.push({ at: e.at, ms: e.ms, events: 1 });
  }
  return out;
}
