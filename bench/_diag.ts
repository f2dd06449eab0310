// TEMP instrumentation
import dc from "node:diagnostics_channel";
import { PerformanceObserver } from "node:perf_hooks";
import { localNow } from "../src/dingtalk/outbox/delay-meter.ts";
type Ev = { id: string; [k: string]: number | string };
export const byId = new Map<string, Ev>();
const m = new WeakMap<object, Ev>();
const on = (name: string, key: string) =>
  dc.subscribe(name, (msg: any) => {
    const r = msg.request;
    let e = m.get(r);
    if (!e) {
      const mm = /x-diag-id[",:\s]+(\d+)/i.exec(String(r.headers));
      if (!mm) return;
      e = byId.get(mm[1]!)!;
      if (!e) return;
      m.set(r, e);
    }
    e[key] = localNow();
  });
if (!process.env.NO_DC) {
  on("undici:request:create", "create");
  on("undici:client:sendHeaders", "sendHeaders");
  on("undici:request:bodySent", "bodySent");
  on("undici:request:headers", "resHeaders");
  on("undici:request:trailers", "done");
}
let n = 0;
export const diagFetch: typeof fetch = async (url, init) => {
  const id = String(++n);
  const e: Ev = { id, call: localNow() };
  byId.set(id, e);
  const headers = { ...(init?.headers as Record<string, string>), "x-diag-id": id };
  const res = await fetch(url, { ...init, headers });
  e.fetchResolved = localNow();
  const text = await res.text();
  e.textDone = localNow();
  return new Response(text, { status: res.status, headers: res.headers });
};
export const gaps: string[] = [];
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  if (now - last > 25) gaps.push(`BENCH gap ${(now - last).toFixed(0)} ms ending at ${(performance.timeOrigin + now).toFixed(0)}`);
  last = now;
}, 5).unref();
new PerformanceObserver((l) => {
  for (const e of l.getEntries())
    if (e.duration > 10) gaps.push(`BENCH gc ${e.duration.toFixed(0)} ms at ${(performance.timeOrigin + e.startTime).toFixed(0)}`);
}).observe({ entryTypes: ["gc"] });
export function pct(a: number[], p: number) {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]?.toFixed(1);
}
export function summary(emu: { diagId?: string; at: number; doneAt?: number }[]) {
  for (const r of emu) {
    const e = r.diagId ? byId.get(r.diagId) : undefined;
    if (e) {
      e.arrive = r.at;
      e.emuDone = r.doneAt ?? 0;
    }
  }
  const all = [...byId.values()].filter((e) => e.arrive);
  const f = (name: string, a: string, b: string) => {
    const xs = all.map((e) => (e[b] as number) - (e[a] as number)).filter((x) => !Number.isNaN(x));
    console.log(`   ${name}: n=${xs.length} p50 ${pct(xs, 0.5)} p90 ${pct(xs, 0.9)} max ${pct(xs, 1)}`);
  };
  f("call→textDone", "call", "textDone");
  f("call→create", "call", "create");
  f("create→sendHeaders", "create", "sendHeaders");
  f("sendHeaders→bodySent", "sendHeaders", "bodySent");
  f("bodySent→arrive(emu)", "bodySent", "arrive");
  f("call→arrive(emu)", "call", "arrive");
  f("arrive→emuDone", "arrive", "emuDone");
  f("emuDone→resHeaders", "emuDone", "resHeaders");
  f("resHeaders→fetchResolved", "resHeaders", "fetchResolved");
  f("fetchResolved→textDone", "fetchResolved", "textDone");
  const slow = all.filter((e) => (e.textDone as number) - (e.call as number) > 30);
  for (const e of slow) {
    const c = e.call as number;
    const rel = (k: string) => (e[k] === undefined ? "-" : ((e[k] as number) - c).toFixed(1));
    console.log(
      `   SLOW id=${e.id} call=${c.toFixed(0)} create+${rel("create")} sendH+${rel("sendHeaders")} body+${rel("bodySent")} arrive+${rel("arrive")} emuDone+${rel("emuDone")} resH+${rel("resHeaders")} fetch+${rel("fetchResolved")} text+${rel("textDone")}`,
    );
  }
  for (const g of gaps) console.log(`   ${g}`);
}
