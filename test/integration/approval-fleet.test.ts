import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import type { CardClickResult, Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { CARD_CALLBACK_TOPIC } from "../../src/dingtalk/topics.ts";
import { referenceDirectory } from "../../src/sandbox/sandbox-dingtalk.ts";
import { APP, CARD_TEMPLATE_ENV, startTestEmulator } from "../fixtures/dingtalk/emulator-app.ts";
import { cardsIn } from "../helpers/chat.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { createSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { type SpawnedService, spawnService } from "../helpers/spawn-service.ts";
import { createServerDatabase, localServerUrl, silentLog, skipWithoutLocalServer } from "../helpers/test-db.ts";
import { TEST_TOKEN } from "../helpers/test-service.ts";

/*
 * Issue 13's acceptance "two service processes deciding the same step at once: exactly one decision, one
 * application". Two service processes (src/main.ts) share one PostgreSQL database and one DingTalk (the emulator,
 * in this process so the test picks which stream connection each push goes to: DingTalk sends a push to one
 * connection of the app, §1.7). Each round sends two clicks on the same approval card at the same moment, one
 * to each process:
 *
 * - the approver's 同意 twice (a double tap: two pushes, two messageIds). The inbound dedupe key (card, user,
 *   action, params) is claimed in each click's transaction, so the second process waits on that unique key and
 *   answers "已处理". This shows the fleet's answer, but it is not the row lock's doing.
 * - the approver's 同意 against their own 驳回 (changed their mind, tapped both): two different dedupe keys,
 *   so both reach decide-step at once. What keeps them apart is loadRequest's `FOR UPDATE` on the request row:
 *   without it both read the step PENDING; one applies (or rejects), and the other, blocked only on the target
 *   rows its staleness check locks, then finds the targets moved (and ends an APPROVED request as STALE), or
 *   finds them unchanged after a rejection and applies a rejected request. Several rounds, so the two clicks
 *   overlap in at least one however the processes are scheduled.
 *
 * Each round asserts one decided step, the request's status equal to it, the target's version up by exactly one
 * and one ledger entry per changed target (linked to the request) when approved, none when rejected, and one
 * result message to the requester.
 */

const [LINA, WANG, ZHAO] = SMALL_PLAN_REPS;
const MANAGER = "m11";
let em: Emulator;
let services: SpawnedService[] = [];
let dbUrl: string;
let dropDb: (() => Promise<void>) | undefined;
let plan: SmallPlan;
let turn = 0;
const cleanups: (() => Promise<unknown>)[] = [];

const api = (path: string, init: RequestInit = {}) =>
  fetch(services[0]!.url + path, {
    ...init,
    headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(init.headers as Record<string, string>) },
  });
async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const db = await openDatabase({ url: dbUrl, pgliteDir: "", log: silentLog, migrate: false });
  try {
    return await db.sql.query<T>(sql, params);
  } finally {
    await db.close();
  }
}

let ready: Promise<void> | undefined;
/** Starts the emulator, the database and the two processes once, for the first test that runs. */
async function setUp(ctx: { skip(condition: boolean, note?: string): void }) {
  await skipWithoutLocalServer(ctx); // a PostgreSQL server even on the PGlite run
  ready ??= startFleet();
  await ready;
}

async function startFleet() {
  // Pushes alternate between the two open connections: the first click of a pair to one process, the second
  // to the other.
  em = await startTestEmulator({
    apps: [APP],
    staff: referenceDirectory(),
    random: () => (turn++ % 2 === 0 ? 0 : 0.99),
    cardCallbackDeadlineMs: 60_000,
  });
  cleanups.push(() => em.close());
  ({ url: dbUrl, drop: dropDb } = await createServerDatabase(localServerUrl));
  await (await openDatabase({ url: dbUrl, pgliteDir: "", log: silentLog })).close(); // migrated once, here
  const env = {
    DATABASE_URL: dbUrl,
    ADMIN_TOKEN: TEST_TOKEN,
    DINGTALK_CLIENT_ID: APP.clientId,
    DINGTALK_CLIENT_SECRET: APP.clientSecret,
    DINGTALK_API_BASE: em.url,
    DINGTALK_OAPI_BASE: em.url,
    DINGTALK_QPS: "500",
    BOT_SCHEDULER: "off",
    ...CARD_TEMPLATE_ENV,
  };
  services = await Promise.all([spawnService(env, 90_000), spawnService(env, 90_000)]);
  await expect.poll(() => em.listConnections().length, { timeout: 30_000 }).toBe(2);
  plan = await createSmallPlan({ api });
  expect((await api(`/api/plans/${plan.planId}/publish`, { method: "POST" })).status).toBe(200);
}
afterAll(async () => {
  expect(await Promise.all(services.map((s) => s.stop()))).toEqual(services.map(() => 0));
  for (const c of cleanups.reverse()) await c();
  await dropDb?.();
}, 60_000);

/** Submits a −3 % request through process 1 and waits for the manager's approval card (sent by either). */
async function requestWithCard(leaf: string, requester: string): Promise<{ id: string; card: string }> {
  const [{ amount }] = (await query<{ amount: string }>("SELECT amount::text FROM target WHERE id = $1", [leaf])) as [
    { amount: string },
  ];
  const proposed = BigInt(amount) - (BigInt(amount) * 3n) / 100n;
  const body = { targetId: leaf, requesterUserId: requester, proposedAmount: proposed.toString(), reason: "客户流失" };
  const res = await api("/api/change-requests", jsonInit("POST", body));
  expect(res.status, await res.clone().text()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  await expect.poll(() => cardsIn(em, MANAGER, `apr.${id}.`).length, { timeout: 30_000 }).toBe(1);
  return { id, card: cardsIn(em, MANAGER, `apr.${id}.`)[0]!.outTrackId };
}

/** Two clicks at the same moment, the first pushed to one process, the second to the other. */
async function clickBoth(card: string, a: Record<string, unknown>, b: Record<string, unknown>) {
  const before = em.listPushes().length;
  const results = await Promise.all([
    em.clickCard(card, MANAGER, a, String(a.action)),
    em.clickCard(card, MANAGER, b, String(b.action)),
  ]);
  const pushes = em.listPushes().slice(before);
  expect(pushes.map((p) => p.topic)).toEqual([CARD_CALLBACK_TOPIC, CARD_CALLBACK_TOPIC]);
  const connections = pushes.map((p) => p.deliveries[0]?.connectionId);
  expect(new Set(connections).size).toBe(2);
  expect(results.map((r) => r.status)).toEqual(["applied", "applied"]);
  return results.map((r: CardClickResult) => JSON.stringify(r.status === "applied" && r.response));
}

/** Exactly one decision on the request's one step, applied once or not at all, and one result message. */
async function expectOneDecision(id: string, leaf: string, version: number) {
  const steps = await query<{ status: string; decided: boolean }>(
    "SELECT status::text, decided_at IS NOT NULL AS decided FROM approval_step WHERE request_id = $1",
    [id],
  );
  expect(steps).toHaveLength(1);
  const decision = steps[0]!.status;
  expect(["APPROVED", "REJECTED"]).toContain(decision);
  expect(steps[0]!.decided).toBe(true);
  const [request] = await query<{ status: string; effects: { id: string | null }[] }>(
    "SELECT status::text, effects FROM change_request WHERE id = $1",
    [id],
  );
  expect(request!.status).toBe(decision);
  const [{ version: now }] = (await query<{ version: number }>("SELECT version FROM target WHERE id = $1", [leaf])) as [
    { version: number },
  ];
  const ledger = await query<{ target_id: string }>(
    "SELECT target_id FROM target_ledger WHERE change_request_id = $1 ORDER BY id",
    [id],
  );
  if (decision === "APPROVED") {
    expect(now).toBe(version + 1);
    expect(ledger).toHaveLength(request!.effects.length); // the leaf and the reserve, once each
    expect(new Set(ledger.map((l) => l.target_id)).size).toBe(ledger.length);
  } else {
    expect(now).toBe(version);
    expect(ledger).toEqual([]);
  }
  // What the requester is sent after submission: one outcome (no second result, no "stale").
  const keys = await query<{ k: string }>(
    "SELECT idempotency_key AS k FROM outbox_message WHERE idempotency_key LIKE $1 ORDER BY 1",
    [`apr.${id}.%`],
  );
  const outcome = keys.map((r) => r.k.slice(`apr.${id}.`.length)).filter((k) => !/^L1\.A1$|^api$/.test(k));
  expect(outcome).toEqual(decision === "APPROVED" ? ["approved", "done"] : ["rejected"]);
  // …and it tells what happened.
  const [result] = await query<{ text: string }>(
    "SELECT payload::text AS text FROM outbox_message WHERE idempotency_key = $1",
    [`apr.${id}.${decision === "APPROVED" ? "approved" : "rejected"}`],
  );
  expect(result!.text).toContain(decision === "APPROVED" ? "已审批通过并生效" : "驳回");
  return decision;
}

const versionOf = async (leaf: string) =>
  (await query<{ version: number }>("SELECT version FROM target WHERE id = $1", [leaf]))[0]!.version;

describe("two service processes deciding the same approval step at once", () => {
  it("the approver's 同意 delivered to both: one decision, applied once; the other process answers 已处理", async (ctx) => {
    await setUp(ctx);
    const leaf = plan.leafIds[0]!;
    const { id, card } = await requestWithCard(leaf, LINA);
    const version = await versionOf(leaf);
    const said = await clickBoth(card, { action: "approve" }, { action: "approve" });
    expect(said.filter((s) => s.includes("已处理，无需重复操作"))).toHaveLength(1);
    expect(await expectOneDecision(id, leaf, version)).toBe("APPROVED");
  }, 240_000);

  it("同意 on one process and 驳回 on the other, several rounds: one decision each, applied at most once", async (ctx) => {
    await setUp(ctx);
    const decisions: string[] = [];
    for (const [i, requester] of [WANG, ZHAO, LINA, WANG].entries()) {
      const leaf = plan.leafIds[SMALL_PLAN_REPS.indexOf(requester as (typeof SMALL_PLAN_REPS)[number])]!;
      const { id, card } = await requestWithCard(leaf, requester);
      const version = await versionOf(leaf);
      const [approve, reject] = [{ action: "approve" }, { action: "reject", comment: `第${i + 1}轮：不同意` }];
      const said = await clickBoth(card, i % 2 === 0 ? approve : reject, i % 2 === 0 ? reject : approve);
      // One card answer shows a decision; the other only a notice.
      expect(
        said.filter((s) => /"status":"(approved|rejected)"/.test(s)),
        said.join("\n"),
      ).toHaveLength(1);
      const decision = await expectOneDecision(id, leaf, version);
      decisions.push(decision);
      // The loser was told the request was already decided, by the flow itself (a different dedupe key).
      const word = decision === "APPROVED" ? "这项申请已通过，无需再操作" : "这项申请已驳回，无需再操作";
      expect(
        said.filter((s) => s.includes(word)),
        said.join("\n"),
      ).toHaveLength(1);
    }
    expect(decisions).toHaveLength(4);
  }, 180_000);
});
