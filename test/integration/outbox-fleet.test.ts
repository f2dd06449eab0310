import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../src/db/database.ts";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { maxInWindow } from "../../src/dingtalk/emulator/request-log.ts";
import { API, createOpenApiClient } from "../../src/dingtalk/openapi-client.ts";
import { createFleetRateLimiter } from "../../src/dingtalk/outbox/fleet-rate-limiter.ts";
import { listOutbox } from "../../src/dingtalk/outbox/outbox-routes.ts";
import { type OutboxWorker, startOutboxWorker } from "../../src/dingtalk/outbox/outbox-worker.ts";
import { applyShrinks, spacingMs } from "../../src/dingtalk/outbox/rate-slots.ts";
import { APPLY_SHRINKS_SQL } from "../../src/dingtalk/outbox/rate-slots-sql.ts";
import { APP, startTestEmulator } from "../fixtures/dingtalk/emulator-app.ts";
import {
  closeThenDrop,
  createOutboxTestDatabase,
  deliveries,
  enqueueCards,
  statusCounts,
  testClient,
} from "../helpers/outbox-fixtures.ts";
import { createServerDatabase, localServerUrl, silentLog, skipWithoutLocalServer } from "../helpers/test-db.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function track<T>(value: T, cleanup: (v: T) => unknown): T {
  cleanups.push(() => cleanup(value));
  return value;
}

function expectEachCardOnce(em: Emulator, n: number): void {
  const { cards, inboxCards } = deliveries(em);
  expect(cards).toBe(n);
  expect(inboxCards.size).toBe(n);
  expect([...inboxCards.values()].filter((count) => count !== 1)).toEqual([]);
}

describe("outbox fleet", () => {
  it("keeps two workers on one database within DingTalk's 20 QPS, losing and duplicating nothing", async () => {
    const em = track(await startTestEmulator({ qpsLimit: 20 }), (e) => e.close());
    const db = track(await createOutboxTestDatabase(), (d) => d.close());
    // Two replicas: two connections to one PostgreSQL database; PGlite is one in-process database, so shared.
    const db2: Database = db.url
      ? track(await openDatabase({ url: db.url, pgliteDir: "", log: silentLog, migrate: false }), (d) => d.close())
      : db;
    await enqueueCards(db, 300, "fleet");
    // The guarantee holds while a call reaches DingTalk within its slot's margin, which follows the delays this
    // process measured (fleet-rate-limiter.ts). Here the "DingTalk" shares one event loop with both workers (and
    // PGlite, and in the full suite another test file on 2 cores): a stall longer than any recent one delays its
    // clock stamps, so the least margin is set for this machine. outbox-throttle-processes.test.ts checks the
    // production defaults, with the emulator in a process of its own.
    const workers: OutboxWorker[] = [db, db2].map((d) =>
      track(
        startOutboxWorker({
          db: d,
          client: testClient(em),
          qps: 20,
          log: silentLog,
          pollMs: 20,
          leaseMs: 30_000,
          minRateMarginMs: 300,
        }),
        (w) => w.stop(),
      ),
    );
    await Promise.all(workers.map((w) => w.drain()));

    // Counted exactly with the emulator's own arrival stamps (its clock, as DingTalk's limiter uses its own): no
    // half-open second [t, t + 1000) holds more than 20 calls. No tolerance: a call stamped a millisecond too
    // early is a violation, as it would be a 403 from DingTalk (and the emulator answered none, below).
    expect(em.maxRequestsInWindow(API.createAndDeliver, 1000)).toBeLessThanOrEqual(20);
    expect(statusCounts(em)).toEqual({ 200: 300 });
    expectEachCardOnce(em, 300);
  });

  it("hands out slots from the database as decideGrant does, to two replicas taking at once", async () => {
    const db = track(await createOutboxTestDatabase(), (d) => d.close());
    const db2: Database = db.url
      ? track(await openDatabase({ url: db.url, pgliteDir: "", log: silentLog, migrate: false }), (d) => d.close())
      : db;
    const qps = 10;
    const marginMs = 20;
    const meter = {
      observePre: () => undefined,
      observeNet: () => undefined,
      budget: () => ({ preBudgetMs: 5000, marginMs }),
    };
    const limiters = [db, db2].map((d) => ({ d, limiter: createFleetRateLimiter({ sql: d.sql, qps, meter }) }));
    // Each take, once resolved, reads the database clock: the reading comes after the resolution.
    const slots = (
      await Promise.all(
        limiters.map(({ d, limiter }) =>
          Promise.all(
            Array.from({ length: 20 }, async () => {
              const slot = await limiter.take("test-api");
              return { ...slot, dbAfter: await dbNow(d) };
            }),
          ),
        ),
      )
    ).flat();
    // A slot at g counts until g + 1000 + margin: no qps + 1 of them within 1000 + margin, and spaced out.
    const at = slots.map((s) => s.until - 1000 - marginMs).sort((a, b) => a - b);
    expect(maxInWindow(at, 1000 + marginMs)).toBeLessThanOrEqual(qps);
    const gaps = at.slice(1).map((g, i) => g - at[i]!);
    // A slot is the previous one plus the spacing in float8 ms: subtracting them back can lose a few ulps.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(spacingMs({ qps }) - 0.001);
    // No take resolved before its slot: the database clock read after it never shows a time before the slot.
    // PGlite's clock reads whole milliseconds, so a reading r stands for a moment in [r, r + 1): a take that
    // resolved too early shows as r + 1 <= its slot.
    expect(slots.filter((s) => s.dbAfter + 1 <= s.until - 1000 - marginMs)).toEqual([]);
  });

  it("shrinks slot ends in SQL exactly as applyShrinks does, equal ends included", async () => {
    const db = track(await createOutboxTestDatabase(), (d) => d.close());
    const end = fc.integer({ min: 1, max: 6 }).map((n) => 1000 + n * 100); // few values: many equal ends
    await fc.assert(
      fc.asyncProperty(
        fc.array(end, { maxLength: 12 }),
        fc.array(fc.record({ from: end, to: end }), { maxLength: 8 }),
        async (live, shrinks) => {
          const [row] = await db.sql.query<{ live: number[] }>(APPLY_SHRINKS_SQL, [
            live,
            shrinks.map((x) => x.from),
            shrinks.map((x) => x.to),
          ]);
          const sorted = (xs: number[]) => xs.map(Number).sort((a, b) => a - b);
          expect(sorted(row!.live)).toEqual(sorted(applyShrinks(live, shrinks)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("ends a slot a second after its call's answer, in the database, so the next slot comes sooner", async () => {
    const db = track(await createOutboxTestDatabase(), (d) => d.close());
    const meterOf = (marginMs: number) => ({
      observePre: () => undefined,
      observeNet: () => undefined,
      budget: () => ({ preBudgetMs: 5000, marginMs }),
    });
    const marginMs = 500; // a worst case seen recently: without answers, a slot counts 1.5 s
    const slotAt = (s: { until: number }, margin = marginMs) => s.until - 1000 - margin;
    const limiter = createFleetRateLimiter({ sql: db.sql, qps: 1, meter: meterOf(marginMs) });
    const first = await limiter.take("blind");
    const second = await limiter.take("blind");
    expect(slotAt(second) - slotAt(first)).toBeGreaterThanOrEqual(1000 + marginMs);

    // A margin far longer than this test: only the answer can bring the next slot before the first one's end.
    const longMargin = 30_000;
    const answered = createFleetRateLimiter({ sql: db.sql, qps: 1, meter: meterOf(longMargin) });
    const a = await answered.take("answered");
    const before = await dbNow(db); // the database clock, read before the answer came back
    const answeredAt = performance.timeOrigin + performance.now(); // the call "answered" now
    answered.record(a, answeredAt, answeredAt, true);
    const b = await answered.take("answered");
    expect(slotAt(b, longMargin)).toBeLessThan(a.until);
    // …and not before a second after the answer, on the database clock: exactly, without a tolerance.
    expect(slotAt(b, longMargin)).toBeGreaterThanOrEqual(before + 1000);

    // A failure on the network is no answer: the slot keeps its full length.
    const c = await limiter.take("lost");
    limiter.record(c, answeredAt, answeredAt, false);
    expect(slotAt(await limiter.take("lost")) - slotAt(c)).toBeGreaterThanOrEqual(1000 + marginMs);
  });

  it("finishes a fan-out after the sending process is SIGKILLed halfway: its rows are taken over within a lease, every card exactly once", async (ctx) => {
    await skipWithoutLocalServer(ctx); // a PostgreSQL server even on the PGlite run
    const em = track(await startTestEmulator(), (e) => e.close());
    // Always a PostgreSQL server: the point is a second process sharing the database.
    const { url, drop } = await createServerDatabase(localServerUrl);
    const db = track(await openDatabase({ url, pgliteDir: "", log: silentLog }), (d) => closeThenDrop(d, drop));
    await enqueueCards(db, 300, "crash");

    // The process talks to the emulator through a gate that lets 150 creates through and holds the rest
    // unanswered: it is killed halfway at a known count, however fast or slow this machine is. Its held rows
    // stay SENDING, their leases renewed by its heartbeat until the kill.
    const leaseMs = 2000;
    const renewMs = leaseMs / 4; // the worker's default renewal interval
    const gate = track(await startGate(em.url, 150), (g) => g.close());
    const child = spawnWorker({ url, apiBase: gate.url, qps: 200, leaseMs });
    track(child, (c) => c.exitCode === null && c.signalCode === null && c.kill("SIGKILL"));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    await expect.poll(() => gate.held(), { timeout: 30_000, interval: 10 }).toBeGreaterThan(0);
    await expect.poll(() => em.listCards().length, { timeout: 30_000, interval: 10 }).toBe(150);
    child.kill("SIGKILL");
    await exited;
    const killedAt = await dbNow(db); // after the process is gone: no renewal comes after this stamp
    expect(em.listCards()).toHaveLength(150);
    const markedSent = (await listOutbox(db, { status: "SENT", limit: 1000 })).length;
    expect(markedSent).toBeLessThanOrEqual(150);
    // What the dead process held, and until when: each lease at most one lease past the kill.
    const held = await db.sql.query<{ id: bigint; until: number }>(
      `SELECT id, (extract(epoch FROM lease_until) * 1000)::float8 AS until FROM outbox_message
       WHERE status = 'SENDING'`,
    );
    expect(held.length).toBeGreaterThan(0);
    expect(held.filter((h) => h.until > killedAt + leaseMs)).toEqual([]);

    const worker = track(
      // Claims up to 400 rows at once: the rows never claimed are all in flight from its first claim, so the held
      // ones are claimed at the first poll after their leases end, not after the others are sent (what is measured
      // is the lease, not this machine's throughput).
      startOutboxWorker({ db, client: testClient(em), qps: 1000, log: silentLog, pollMs: 20, leaseMs, batchSize: 200 }),
      (w) => w.stop(),
    );
    await worker.drain();
    expectEachCardOnce(em, 300);
    expect(await listOutbox(db, { status: "SENT", limit: 1000 })).toHaveLength(300);
    // The 150 held creates are sent once, now. Of the 150 that got through, those the killed process never marked
    // SENT are sent again and come back as param.cardAlreadyExist (400), which counts as SENT; nothing else.
    const counts = statusCounts(em);
    expect({ ...counts, 400: counts[400] ?? 0 }).toEqual({ 200: 300, 400: 150 - markedSent });

    // Recovery, on the database's own stamps: no held row was claimed again before its lease ended, and each was
    // claimed again within one lease and one renewal interval of the kill (its lease ran out at most a lease after
    // the last renewal, then the next poll took it). Sending it then waits its turn among the other rows.
    const taken = await db.sql.query<{ id: bigint; claimed: number; sent: number; attempts: number }>(
      `SELECT id, (extract(epoch FROM claimed_at) * 1000)::float8 AS claimed,
         (extract(epoch FROM sent_at) * 1000)::float8 AS sent, attempts
       FROM outbox_message WHERE id = ANY($1::bigint[])`,
      [held.map((h) => String(h.id))],
    );
    const until = new Map(held.map((h) => [String(h.id), h.until]));
    expect(taken.filter((t) => t.claimed < until.get(String(t.id))!)).toEqual([]);
    expect(taken.filter((t) => t.attempts !== 2)).toEqual([]); // each claimed once more, by the second worker
    const lastTaken = Math.max(...taken.map((t) => t.claimed));
    expect(lastTaken - killedAt).toBeLessThanOrEqual(leaseMs + renewMs);
    const lastSent = Math.max(...taken.map((t) => t.sent));
    ctx.annotate(
      `${held.length} rows held at the kill; the last taken over ${Math.round(lastTaken - killedAt)} ms and sent ` +
        `${Math.round(lastSent - killedAt)} ms after it (lease ${leaseMs} ms, renewal every ${renewMs} ms)`,
    );
  });

  it("never takes the rows of a live sender whose DingTalk calls hang for several leases: its heartbeat keeps them", async () => {
    const em = track(await startTestEmulator(), (e) => e.close());
    const db = track(await createOutboxTestDatabase(), (d) => d.close());
    const db2: Database = db.url
      ? track(await openDatabase({ url: db.url, pgliteDir: "", log: silentLog, migrate: false }), (d) => d.close())
      : db;
    await enqueueCards(db, 10, "slow");
    const leaseMs = 2000;
    // The slow sender's creates reach DingTalk only when the gate opens: until then they hang unanswered.
    const gate = track(await startGate(em.url, 0, { holdUntilOpened: true }), (g) => g.close());
    // Calls time out after DINGTALK_HTTP_TIMEOUT_MS (10 s by default); this test's hang is a minute's deadline
    // long so that it is the heartbeat, not the timeout, that is checked for several leases.
    const slowClient = createOpenApiClient({ apiBase: gate.url, ...APP, robotCode: APP.clientId, timeoutMs: 60_000 });
    const slow = track(
      startOutboxWorker({ db, client: slowClient, qps: 1000, log: silentLog, pollMs: 20, leaseMs }),
      (w) => w.stop(),
    );
    await expect.poll(() => gate.held(), { timeout: 10_000, interval: 10 }).toBe(10);
    // A second replica on the same database, polling all along, with DingTalk answering it at once.
    const other = track(
      startOutboxWorker({ db: db2, client: testClient(em), qps: 1000, log: silentLog, pollMs: 20, leaseMs }),
      (w) => w.stop(),
    );
    await sleep(3 * leaseMs);
    const attempts = await db.sql.query<{ status: string; attempts: number }>(
      "SELECT status::text AS status, attempts FROM outbox_message ORDER BY id",
    );
    expect(attempts).toEqual(Array.from({ length: 10 }, () => ({ status: "SENDING", attempts: 1 })));
    expect(em.listRequests(API.createAndDeliver)).toEqual([]);

    gate.open();
    await Promise.all([slow.drain(), other.drain()]);
    expectEachCardOnce(em, 10);
    expect(statusCounts(em)).toEqual({ 200: 10 }); // each create made once, by the slow sender
    const done = await db.sql.query<{ status: string; attempts: number }>(
      "SELECT status::text AS status, attempts FROM outbox_message ORDER BY id",
    );
    expect(done).toEqual(Array.from({ length: 10 }, () => ({ status: "SENT", attempts: 1 })));
  });
});

/** The database clock, ms (the clock the slots are in). */
async function dbNow(db: Database): Promise<number> {
  const [row] = await db.sql.query<{ ms: number }>(
    "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms",
  );
  return Number(row!.ms);
}

/**
 * An HTTP gate in front of `target`: forwards every request, except that createAndDeliver calls after the first
 * `passCreates` are held: never answered, or with `holdUntilOpened` until {@link open} is called.
 */
async function startGate(target: string, passCreates: number, opts: { holdUntilOpened?: boolean } = {}) {
  let passed = 0;
  let held = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url?.startsWith("/v1.0/card/instances/createAndDeliver")) {
      if (passed >= passCreates) {
        held++;
        if (!opts.holdUntilOpened) return;
        await opened;
      }
      passed++;
    }
    const headers = Object.entries(req.headers).flatMap(([k, v]) =>
      typeof v === "string" && !["host", "connection", "content-length"].includes(k)
        ? [[k, v] as [string, string]]
        : [],
    );
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method ?? "GET",
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held,
    /** Lets the held creates (and every later one) through: for `holdUntilOpened`. */
    open: () => open(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function spawnWorker(opts: { url: string; apiBase: string; qps: number; leaseMs: number }): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "test/helpers/outbox-worker-process.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      OUTBOX_DB_URL: opts.url,
      OUTBOX_API_BASE: opts.apiBase,
      OUTBOX_CLIENT_ID: APP.clientId,
      OUTBOX_CLIENT_SECRET: APP.clientSecret,
      OUTBOX_QPS: String(opts.qps),
      OUTBOX_LEASE_MS: String(opts.leaseMs),
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
}
