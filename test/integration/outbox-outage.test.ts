import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API } from "../../src/dingtalk/openapi-client.ts";
import { enqueue } from "../../src/dingtalk/outbox/enqueue.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { createSmallPlan, SMALL_PLAN_REPS } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/**
 * Issue #15 item 3: a 2.5-minute DingTalk outage made every card of a publish DEAD after 8 attempts, for good.
 * Retries now span OUTBOX_RETRY_HOURS (24 h; scaled down here with OUTBOX_RETRY_BASE_MS=10, so "today's" 8
 * attempts would span about 1.3 s), DEAD rows show in /healthz, and POST /api/outbox/redrive sends them again
 * under their original idempotency keys.
 */
type Row = { id: string; idempotency_key: string; status: string; attempts: number; last_error: string | null };
const outboxRows = (svc: TestService) =>
  svc.db.sql.query<Row>(
    `SELECT id::text, idempotency_key, status::text, attempts, last_error FROM outbox_message
      WHERE kind = 'card.createAndDeliver' ORDER BY id`,
  );
const health = async (svc: TestService) =>
  ((await (await fetch(`${svc.url}/healthz`)).json()) as { outbox: { dead: number; oldestDeadAt: string | null } })
    .outbox;

describe("a DingTalk outage longer than the old retry budget", () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(
      { DINGTALK_QPS: "500", OUTBOX_RETRY_BASE_MS: "10", OUTBOX_RETRY_HOURS: "0.01" }, // 36 s horizon
      { sandbox: { demo: false } },
    );
  }, 60_000);
  afterAll(() => svc?.close());

  it("delivers every card exactly once after DingTalk recovers; none is DEAD", async () => {
    const em = svc.deps.emulator!;
    const { planId } = await createSmallPlan(svc);
    em.fail5xx(API.createAndDeliver, 1_000_000); // every card call answers 5xx until cleared
    const published = await svc.api(`/api/plans/${planId}/publish`, { method: "POST" });
    expect(published.status, await published.clone().text()).toBe(200);
    // Past the old budget of 8 attempts (≈1.3 s at a 10 ms base): still retrying, not DEAD.
    await expect
      .poll(async () => Math.min(...(await outboxRows(svc)).map((r) => r.attempts)), { timeout: 20_000 })
      .toBeGreaterThan(9);
    const during = await outboxRows(svc);
    expect(during.length).toBeGreaterThanOrEqual(3);
    expect(during.filter((r) => r.status === "DEAD")).toEqual([]);
    expect(during.every((r) => r.last_error?.includes("500"))).toBe(true);
    expect(em.listCards()).toEqual([]);
    em.fail5xx(API.createAndDeliver, 0); // DingTalk is back
    await svc.dingtalk!.outbox.drain();

    const after = await outboxRows(svc);
    expect(after.map((r) => r.status)).toEqual(after.map(() => "SENT"));
    const ids = after.map((r) => r.idempotency_key).sort();
    expect(
      em
        .listCards()
        .map((c) => c.outTrackId)
        .sort(),
    ).toEqual(ids);
    expect(em.cardCreateCounts()).toMatchObject({ outTrackIds: ids.length, duplicates: 0 });
    for (const rep of SMALL_PLAN_REPS)
      expect(
        ids.some((k) => k.includes(rep)),
        rep,
      ).toBe(true);
    expect(await health(svc)).toEqual({ dead: 0, oldestDeadAt: null });
  }, 60_000);
});

describe("POST /api/outbox/redrive", () => {
  let svc: TestService;
  beforeAll(async () => {
    // A horizon of 36 ms: four attempts (waits of 10, 20, 40 ms), then DEAD.
    svc = await startTestService(
      { DINGTALK_QPS: "500", OUTBOX_RETRY_BASE_MS: "10", OUTBOX_RETRY_HOURS: "0.00001" },
      { sandbox: { demo: false } },
    );
  }, 60_000);
  afterAll(() => svc?.close());

  it("shows DEAD rows in /healthz and sends them again with their keys, never creating a card twice", async () => {
    const em = svc.deps.emulator!;
    const { planId } = await createSmallPlan(svc);
    em.fail5xx(API.createAndDeliver, 1_000_000);
    expect((await svc.api(`/api/plans/${planId}/publish`, { method: "POST" })).status).toBe(200);
    await svc.dingtalk!.outbox.drain();
    const dead = await outboxRows(svc);
    expect(dead.length).toBeGreaterThanOrEqual(3);
    expect(dead.map((r) => r.status)).toEqual(dead.map(() => "DEAD"));
    const [oldest] = await svc.db.sql.query<{ at: Date }>(
      "SELECT min(created_at) AS at FROM outbox_message WHERE status = 'DEAD'",
    );
    expect(await health(svc)).toEqual({ dead: dead.length, oldestDeadAt: new Date(oldest!.at).toISOString() });
    em.fail5xx(API.createAndDeliver, 0);

    // Bad requests: a clear answer, nothing redriven.
    const before = await svc.db.sql.query("SELECT * FROM outbox_message ORDER BY id");
    for (const [body, status, text] of [
      [{}, 400, "请求体应为"],
      [{ ids: [] }, 400, "ids 不能为空"],
      [{ ids: ["abc"] }, 400, "行号"],
      [{ all: false }, 400, "请求体应为"],
      [{ ids: [dead[0]!.id, "999999"] }, 409, "999999"],
    ] as const) {
      const res = await svc.api("/api/outbox/redrive", jsonInit("POST", body));
      expect(res.status, JSON.stringify(body)).toBe(status);
      const answer = await res.text();
      expect(answer, answer).toContain(text);
    }
    expect(await svc.db.sql.query("SELECT * FROM outbox_message ORDER BY id")).toEqual(before);

    // One row by id: it alone goes out.
    const first = dead[0]!;
    const one = await svc.api("/api/outbox/redrive", jsonInit("POST", { ids: [first.id] }));
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual({ redriven: 1, ids: [first.id] });
    await svc.dingtalk!.outbox.drain();
    expect(em.listCards().map((c) => c.outTrackId)).toEqual([first.idempotency_key]);
    const sentAgain = await svc.api("/api/outbox/redrive", jsonInit("POST", { ids: [first.id] }));
    expect(sentAgain.status).toBe(409); // SENT now: not DEAD

    // A card DingTalk did create whose row ended DEAD anyway (its answer was lost): redriven, it is not
    // created a second time — DingTalk answers param.cardAlreadyExist and the row counts as sent.
    await svc.db.sql.query("UPDATE outbox_message SET status = 'DEAD' WHERE id = $1", [first.id]);
    const all = await svc.api("/api/outbox/redrive", jsonInit("POST", { all: true }));
    expect(all.status).toBe(200);
    expect(((await all.json()) as { redriven: number }).redriven).toBe(dead.length);
    await svc.dingtalk!.outbox.drain();
    const after = await outboxRows(svc);
    expect(after.map((r) => r.status)).toEqual(after.map(() => "SENT"));
    expect(after.map((r) => r.idempotency_key)).toEqual(dead.map((r) => r.idempotency_key));
    expect(
      em
        .listCards()
        .map((c) => c.outTrackId)
        .sort(),
    ).toEqual(dead.map((r) => r.idempotency_key).sort());
    expect(em.cardCreateCounts()).toMatchObject({ outTrackIds: dead.length, duplicates: 1 }); // the refused one
    expect(await health(svc)).toEqual({ dead: 0, oldestDeadAt: null });
  }, 60_000);
});

describe("GET /api/outbox", () => {
  it("does not show session-webhook tokens", async () => {
    const svc = await startTestService();
    try {
      const token = "a3f1e0c7d2b94c7e8f0aa1b2c3d4e5f6";
      await enqueue(svc.db, {
        idempotencyKey: "reply-1",
        kind: "session.reply",
        payload: {
          url: `https://oapi.dingtalk.com/robot/sendBySession?session=${token}`,
          body: { msgtype: "text", text: { content: "好的" } },
        },
      });
      const res = await svc.api("/api/outbox");
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).not.toContain(token);
      const { items } = JSON.parse(text) as { items: { payload: { url: string } }[] };
      expect(items[0]!.payload.url).toBe("https://oapi.dingtalk.com/robot/sendBySession?（已隐藏）");
    } finally {
      await svc.close();
    }
  });
});
