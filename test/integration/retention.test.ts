import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import { ALREADY_HANDLED } from "../../src/dingtalk/inbound/run-card-action.ts";
import { API } from "../../src/dingtalk/openapi-client.ts";
import { runRetention } from "../../src/dingtalk/retention.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * The retention job (docs/architecture.md "Retention") through the started service: the demo plan is published
 * and a card clicked, then the job runs for a moment 31 days later, when everything sent is past RETENTION_DAYS.
 */

const DAY = 86_400_000;
let svc: TestService;
let planId: string;
const emulator = () => svc.deps.emulator!;
const creates = () => emulator().listRequests(API.createAndDeliver).length;
const batchSends = () => emulator().listRequests(API.batchSend).length;
const rows = (sql: string, params: unknown[] = []) => svc.db.sql.query<Record<string, unknown>>(sql, params);
const count = async (table: string, where = "true") =>
  Number((await rows(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`))[0]!.n);
const runJob = async (at: Date) => {
  const res = await svc.api("/api/jobs/retention/run", {
    method: "POST",
    body: JSON.stringify({ at: at.toISOString() }),
    headers: { "content-type": "application/json" },
  });
  return { status: res.status, body: (await res.json()) as { ran?: boolean; result?: Record<string, unknown> } };
};
const click = async (outTrackId: string, userId: string) => {
  const res = await emulator().clickCard(outTrackId, userId, { action: "confirm" }, "confirm");
  expect(res.status).toBe("applied");
  return JSON.stringify(res.status === "applied" ? res.response : null);
};

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false } });
  ({ planId } = await seedDemo(svc.db, svc.deps.calendar));
}, 180_000);
afterAll(() => svc?.close());

describe("retention job: sent outbox rows and old inbound events go, what prevents repeats stays", () => {
  it("deletes sent rows and push keys past RETENTION_DAYS; a re-published plan sends nothing, a repeated click answers 已处理, dead and unsent rows stay", async () => {
    expect((await svc.api(`/api/plans/${planId}/publish`, { method: "POST" })).status).toBe(200);
    await svc.dingtalk!.outbox.drain();
    const [card] = await rows(
      `SELECT c.out_track_id AS "outTrackId", c.user_id AS "userId" FROM target_card_sent c
       JOIN target t ON t.id = c.target_id WHERE t.plan_id = $1 ORDER BY 1 LIMIT 1`,
      [planId],
    );
    const { outTrackId, userId } = card as { outTrackId: string; userId: string };
    expect(await click(outTrackId, userId)).not.toContain(ALREADY_HANDLED); // the first click confirms
    await svc.dingtalk!.outbox.drain(); // whatever the click queued is sent (drain waits for every PENDING row)

    // A DEAD row and a PENDING one not due for a day: neither is ever the job's to delete, however old.
    await svc.db.sql.exec(`
      INSERT INTO outbox_message (idempotency_key, kind, api, payload, status, created_at, last_error)
      VALUES ('old-dead', 'robot.batchSend', 'x', '{"userIds": ["u1"]}', 'DEAD', now() - interval '400 days', 'gone');
      INSERT INTO outbox_message (idempotency_key, kind, api, payload, created_at, next_attempt_at)
      VALUES ('old-pending', 'robot.batchSend', 'x', '{"userIds": ["u1"]}', now() - interval '400 days',
        now() + interval '1 day')`);
    const unsent = () => rows("SELECT * FROM outbox_message WHERE status <> 'SENT' ORDER BY id");
    const unsentBefore = await unsent();
    const sent = await count("outbox_message", "status = 'SENT'");
    const clickKeys = await count("inbound_event", "starts_with(key, 'card:')");
    const pushKeys = await count("inbound_event", "NOT starts_with(key, 'card:')");
    expect(sent).toBeGreaterThan(50);
    expect(clickKeys).toBe(1);
    expect(pushKeys).toBe(1);

    // 29 days on, nothing is old enough.
    const early = await runJob(new Date(Date.now() + 29 * DAY));
    expect(early).toMatchObject({ status: 200, body: { ran: true, result: { outboxDeleted: 0, inboundDeleted: 0 } } });

    const late = await runJob(new Date(Date.now() + 31 * DAY));
    expect(late).toMatchObject({
      status: 200,
      body: { ran: true, result: { outboxDeleted: sent, inboundDeleted: pushKeys } },
    });
    expect(await count("outbox_message", "status = 'SENT'")).toBe(0);
    expect(await unsent()).toEqual(unsentBefore);
    expect(await count("outbox_sent_key")).toBe(sent);
    expect(await count("inbound_event")).toBe(clickKeys);

    // Publishing again queues and sends nothing: every card's and summary's key is still known.
    const [createsBefore, batchBefore] = [creates(), batchSends()];
    expect((await svc.api(`/api/plans/${planId}/publish`, { method: "POST" })).status).toBe(200);
    expect(await count("outbox_message")).toBe(2); // the dead and the pending row: nothing queued, nothing to send
    expect([creates(), batchSends()]).toEqual([createsBefore, batchBefore]);

    // The same click again, on a card whose push keys are gone: still one effect.
    expect(await click(outTrackId, userId)).toContain(ALREADY_HANDLED);
    expect(await count("inbound_event", "starts_with(key, 'card:')")).toBe(clickKeys);
  }, 180_000);

  it("deletes in batches until nothing old is left, keeping each key once", async () => {
    await svc.db.sql.exec(`
      INSERT INTO outbox_message (idempotency_key, kind, api, payload, status, sent_at, result)
      SELECT 'batch-' || i, 'todo.create', 'x', jsonb_build_object('userId', 'u' || i), 'SENT',
        now() - interval '40 days', jsonb_build_object('id', 'task-' || i)
      FROM generate_series(1, 25) i;
      INSERT INTO inbound_event (key, kind, received_at)
      SELECT 'msg:batch-' || i, 'text', now() - interval '40 days' FROM generate_series(1, 12) i`);
    // Rows written 40 days before the database's now; the cut is 30 days before it.
    const before = new Date(Date.now() - 30 * DAY);
    const result = await runRetention(svc.db.sql, { before, batchSize: 10 });
    expect(result).toMatchObject({ outboxDeleted: 25, inboundDeleted: 12 });
    expect(await count("outbox_message", "starts_with(idempotency_key, 'batch-')")).toBe(0);
    // A to-do create keeps its person and task id: finishing it later still finds the task.
    expect(await rows("SELECT memo FROM outbox_sent_key WHERE idempotency_key = 'batch-7'")).toEqual([
      { memo: { userId: "u7", taskId: "task-7" } },
    ]);
    expect(await runRetention(svc.db.sql, { before, batchSize: 10 })).toMatchObject({
      outboxDeleted: 0,
      inboundDeleted: 0,
    });
  });
});
