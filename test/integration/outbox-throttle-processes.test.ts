/**
 * The acceptance test for the fleet-wide rate limit, as production runs it: two service processes
 * (`src/main.ts`) on one PostgreSQL database send 1,000 cards to DingTalk's 20 QPS limit, with the emulator in a
 * process of its own so that its clock stamps are what DingTalk's would be. Production defaults throughout
 * (no enlarged margin). Always a PostgreSQL server, even in the PGlite run: PGlite cannot be shared by processes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../src/db/database.ts";
import { maxInWindow, type RequestRecord } from "../../src/dingtalk/emulator/request-log.ts";
import { killGroup } from "../../src/dingtalk/emulator/spawn-emulator.ts";
import { API } from "../../src/dingtalk/openapi-client.ts";
import { APP, CARD_TEMPLATE_ENV } from "../fixtures/dingtalk/emulator-app.ts";
import { type EmulatorProcess, startEmulatorProcess } from "../helpers/emulator-process.ts";
import { cardId, closeThenDrop, enqueueCards, REPS } from "../helpers/outbox-fixtures.ts";
import { createServerDatabase, localServerUrl, silentLog, skipWithoutLocalServer } from "../helpers/test-db.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const CARDS = 1000;
const QPS = 20;

interface ServiceProcess {
  child: ChildProcess;
  output(): string;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch((err) => console.error(err));
}, 60_000);

/** `src/main.ts` in a process group of its own, resolved once it logs that it is up. */
async function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup(child, "SIGTERM");
    const force = setTimeout(() => killGroup(child, "SIGKILL"), 12_000);
    await exited;
    clearTimeout(force);
  });
  let out = "";
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  for (const deadline = Date.now() + 30_000; !/"msg":"target-bot is up"/.test(out); await sleep(50)) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode} before it was up:\n${out}`);
    if (Date.now() > deadline) throw new Error(`service did not start within 30 s:\n${out}`);
  }
  return { child, output: () => out };
}

async function progressOf(db: Database): Promise<{ sent: number; dead: number }> {
  const [row] = await db.sql.query<{ sent: number; dead: number }>(
    `SELECT count(*) FILTER (WHERE status = 'SENT')::int AS sent, count(*) FILTER (WHERE status = 'DEAD')::int AS dead
     FROM outbox_message`,
  );
  return row!;
}

/**
 * When a second held too many calls: each of them with the slot it was sent on (from the services' debug log
 * "outbox: call"), so a failure says whether a call arrived after its slot's margin (a stall) or within it.
 */
function crowdedSecond(requests: readonly RequestRecord[], services: readonly ServiceProcess[]): string {
  const calls = services.flatMap((s) =>
    s
      .output()
      .split("\n")
      .filter((line) => line.includes('"msg":"outbox: call"'))
      .map((line) => JSON.parse(line) as { slotAt: number; slotUntil: number; sentAt: number; endedAt: number }),
  );
  const ats = requests.map((r) => r.at).sort((a, b) => a - b);
  const start = ats.find((t) => ats.filter((u) => u >= t && u < t + 1000).length > QPS)!;
  const used = new Set<(typeof calls)[number]>();
  const lines = ats
    .filter((t) => t >= start && t < start + 1000)
    .map((t) => {
      const call = calls
        .filter((c) => !used.has(c) && c.sentAt - 5 <= t && t <= c.endedAt + 5)
        .sort((x, y) => Math.abs(x.sentAt - t) - Math.abs(y.sentAt - t))[0];
      if (call) used.add(call);
      if (!call) return `  +${t - start} ms: no matching call in the services' logs`;
      const margin = call.slotUntil - call.slotAt - 1000;
      return `  +${t - start} ms: slot +${(call.slotAt - start).toFixed(1)}, sent +${call.sentAt - start}, arrived ${(t - call.slotAt).toFixed(1)} ms after its slot (margin ${margin.toFixed(0)})`;
    });
  return `${lines.length} calls from ${start} (emulator clock):\n${lines.join("\n")}`;
}

describe("outbox throttle across processes", () => {
  it("two service processes on one PostgreSQL send 1,000 cards: no sliding second over 20 calls, each card once", async (ctx) => {
    await skipWithoutLocalServer(ctx); // a PostgreSQL server even on the PGlite run
    const em: EmulatorProcess = await startEmulatorProcess({ qpsLimit: QPS });
    cleanups.push(() => em.stop());
    const { url, drop } = await createServerDatabase(localServerUrl);
    const db = await openDatabase({ url, pgliteDir: "", log: silentLog });
    cleanups.push(() => closeThenDrop(db, drop));

    const env = {
      DATABASE_URL: url,
      DINGTALK_CLIENT_ID: APP.clientId,
      DINGTALK_CLIENT_SECRET: APP.clientSecret,
      DINGTALK_API_BASE: em.url,
      DINGTALK_OAPI_BASE: em.url,
      DINGTALK_QPS: String(QPS),
      ADMIN_TOKEN: "throttle-test-admin-token",
      LOG_LEVEL: "debug", // the worker logs each send at debug: which process sent what
      ...CARD_TEMPLATE_ENV,
    };
    const services = await Promise.all([startService(env), startService(env)]);

    await enqueueCards(db, CARDS, "proc");
    let progress = { sent: 0, dead: 0 };
    for (const deadline = Date.now() + 150_000; progress.sent + progress.dead < CARDS; await sleep(500)) {
      if (Date.now() > deadline) throw new Error(`only ${progress.sent} of ${CARDS} cards sent in 150 s`);
      progress = await progressOf(db);
    }
    expect(progress).toEqual({ sent: CARDS, dead: 0 });

    // Every call that reached the emulator, whatever it was answered (a 403 would have been an arrival too).
    const requests = await em.listRequests(API.createAndDeliver);
    const busiest = maxInWindow(requests.map((r) => r.at));
    expect(busiest, busiest > QPS ? crowdedSecond(requests, services) : "").toBeLessThanOrEqual(QPS);
    const statuses: Record<string, number> = {};
    for (const r of requests) statuses[r.status ?? 0] = (statuses[r.status ?? 0] ?? 0) + 1;
    expect(statuses).toEqual({ 200: CARDS });

    // Each card exactly once: created once, and once in its recipient's chat.
    const cards = await em.listCards();
    expect(cards).toHaveLength(CARDS);
    expect(new Set(cards.map((c) => c.outTrackId))).toEqual(
      new Set(Array.from({ length: CARDS }, (_, i) => cardId("proc", i))),
    );
    const inboxCards: string[] = [];
    for (const rep of REPS) {
      for (const item of await em.getInbox(rep)) if (item.kind === "card") inboxCards.push(item.outTrackId);
    }
    expect(inboxCards).toHaveLength(CARDS);
    expect(new Set(inboxCards).size).toBe(CARDS);

    // Both replicas took part.
    const sentBy = services.map((s) => s.output().match(/"msg":"outbox: sent"/g)?.length ?? 0);
    expect(sentBy.every((n) => n > 0)).toBe(true);
    expect(sentBy[0]! + sentBy[1]!).toBeGreaterThanOrEqual(CARDS);
  }, 240_000);
});
