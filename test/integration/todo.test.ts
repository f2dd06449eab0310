import { afterEach, describe, expect, it } from "vitest";
import type { Tx } from "../../src/db/database.ts";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { derivedUnionId } from "../../src/dingtalk/emulator/ids.ts";
import { createOpenApiClient } from "../../src/dingtalk/openapi-client.ts";
import { createOutbound, type Outbound, type OutboundApp } from "../../src/dingtalk/outbound.ts";
import { type OutboxWorker, startOutboxWorker } from "../../src/dingtalk/outbox/outbox-worker.ts";
import { APP, accessToken, call, startTestEmulator } from "../fixtures/dingtalk/emulator-app.ts";
import { createOutboxTestDatabase } from "../helpers/outbox-fixtures.ts";
import { silentLog, type TestDatabase } from "../helpers/test-db.ts";

/*
 * DingTalk 待办 through the outbox: the real outbound port queues rows, the real worker sends them over HTTP to
 * the real emulator, which looks the person up in its directory and keeps the to-do where the test can see it.
 */

let db: TestDatabase | undefined;
let emulator: Emulator | undefined;
let worker: OutboxWorker | undefined;

afterEach(async () => {
  await worker?.stop();
  await emulator?.close();
  await db?.close();
  worker = db = emulator = undefined;
});

const URL_OF = (id: string) => `https://bot.example.com/approvals/${id}`;

/** The port as the service builds it; `todo` and `publicUrl` as DINGTALK_TODO and PUBLIC_URL would set them. */
function outbound(opts: { todo?: boolean; publicUrl?: string } = {}): Outbound {
  const config: OutboundApp["config"] = {
    sandbox: false,
    cardTemplates: {},
    publicUrl: opts.publicUrl,
    dingtalk: { todo: opts.todo ?? true },
  };
  return createOutbound({ config, dingtalk: { robotCode: APP.clientId } });
}

async function setup() {
  db = await createOutboxTestDatabase();
  emulator = await startTestEmulator();
  return { db, em: emulator };
}

function start(d: TestDatabase, em: Emulator) {
  const client = createOpenApiClient({ apiBase: em.url, oapiBase: em.url, ...APP, robotCode: APP.clientId });
  worker = startOutboxWorker({ db: d, client, qps: 1000, log: silentLog, pollMs: 20, retryBaseMs: 20 });
  return worker;
}

const inTx = <T>(d: TestDatabase, fn: (tx: Tx) => Promise<T>) => d.prisma.$transaction(fn);

interface Row {
  key: string;
  kind: string;
  api: string;
  status: string;
  attempts: number;
  last_error: string | null;
  result: Record<string, unknown> | null;
}
const rows = (d: TestDatabase) =>
  d.sql.query<Row>(
    `SELECT idempotency_key AS key, kind, api, status, attempts, last_error, result
     FROM outbox_message ORDER BY id`,
  );

describe("to-dos through the outbox", () => {
  it("creates the to-do in the approver's list, with our link, and marks it done when finished", async () => {
    const { db, em } = await setup();
    const port = outbound();
    const todo = { to: "mgr110", key: "todo-cr1-s1", subject: "审批：张伟 目标调整", description: "100万 → 97万" };
    expect(await inTx(db, (tx) => port.createTodo(tx, { ...todo, url: URL_OF("cr1") }))).toBe(true);
    await start(db, em).drain();

    const [task, ...others] = em.listTodos("mgr110");
    expect(others).toEqual([]);
    expect(task).toMatchObject({
      subject: "审批：张伟 目标调整",
      description: "100万 → 97万",
      done: false,
      executorIds: [derivedUnionId("mgr110")],
      detailUrl: { appUrl: URL_OF("cr1"), pcUrl: URL_OF("cr1") },
      sourceId: "todo-cr1-s1",
    });
    expect(em.listTodos("rep1101")).toEqual([]);
    const [created] = await rows(db);
    expect(created).toMatchObject({
      kind: "todo.create",
      api: "POST /v1.0/todo/users/{unionId}/tasks",
      status: "SENT",
    });
    expect(created?.result?.id).toBe(task?.id);

    expect(await inTx(db, (tx) => port.finishTodo(tx, { key: "todo-cr1-s1", doneKey: "todo-cr1-s1-done" }))).toBe(true);
    await worker!.drain();
    expect(em.listTodos("mgr110")).toMatchObject([{ id: task?.id, done: true }]);
    expect((await rows(db))[1]).toMatchObject({ kind: "todo.update", status: "SENT", result: { result: true } });
  });

  it("queues nothing for a repeated key, and looks each person's unionId up once", async () => {
    const { db, em } = await setup();
    const port = outbound();
    const todo = { to: "mgr110", key: "todo-cr2-s1", subject: "审批", url: URL_OF("cr2") };
    expect(await inTx(db, (tx) => port.createTodo(tx, todo))).toBe(true);
    expect(await inTx(db, (tx) => port.createTodo(tx, { ...todo, subject: "再次" }))).toBe(false);
    await start(db, em).drain();
    expect(await inTx(db, (tx) => port.createTodo(tx, todo))).toBe(false); // also once sent
    expect(await inTx(db, (tx) => port.createTodo(tx, { ...todo, key: "todo-cr3-s1" }))).toBe(true);
    await worker!.drain();
    expect(em.listTodos("mgr110").map((t) => t.subject)).toEqual(["审批", "审批"]);
    expect(await rows(db)).toHaveLength(2);
    expect(em.listRequests("POST /topapi/v2/user/get")).toHaveLength(1);
  });

  it("a finish queued with its create waits for the create to go out, without spending its attempts", async () => {
    const { db, em } = await setup();
    const port = outbound();
    await inTx(db, async (tx) => {
      await port.createTodo(tx, { to: "director01", key: "todo-cr4-s2", subject: "审批", url: URL_OF("cr4") });
      await port.finishTodo(tx, { key: "todo-cr4-s2", doneKey: "todo-cr4-s2-done" });
    });
    // The create is not due for a while: the update is claimed first, and has to wait.
    await db.sql.query(
      "UPDATE outbox_message SET next_attempt_at = now() + interval '1 second' WHERE kind = 'todo.create'",
    );
    const w = start(db, em);
    await expect
      .poll(async () => (await rows(db))[1]?.last_error, { timeout: 2000, interval: 20 })
      .toMatch(/not created yet/);
    expect(em.listTodos("director01")).toEqual([]);
    await w.drain();
    expect(em.listTodos("director01")).toMatchObject([{ subject: "审批", done: true }]);
    const [create, update] = await rows(db);
    expect(create).toMatchObject({ status: "SENT", attempts: 1 });
    expect(update).toMatchObject({ status: "SENT", attempts: 1, result: { result: true } });
    expect(em.listRequests().filter((r) => r.method === "PUT")).toHaveLength(1);
  });

  it("a retried create takes the to-do an attempt whose answer was lost made, rather than making a second", async () => {
    const { db, em } = await setup();
    await inTx(db, (tx) =>
      outbound().createTodo(tx, { to: "mgr110", key: "todo-cr6-s1", subject: "审批", url: URL_OF("6") }),
    );
    // The first attempt reached DingTalk, but its answer never came back (a timeout, a crash before SENT).
    const unionId = derivedUnionId("mgr110");
    const landed = await call(em, "POST", `/v1.0/todo/users/${unionId}/tasks`, {
      token: await accessToken(em),
      body: {
        subject: "审批",
        executorIds: [unionId],
        detailUrl: { appUrl: URL_OF("6"), pcUrl: URL_OF("6") },
        sourceId: "todo-cr6-s1",
      },
    });
    await db.sql.query("UPDATE outbox_message SET attempts = 1");
    await start(db, em).drain();
    expect(em.listTodos("mgr110")).toMatchObject([{ id: landed.body.id, sourceId: "todo-cr6-s1" }]);
    expect((await rows(db))[0]).toMatchObject({ status: "SENT", attempts: 2, result: { id: landed.body.id } });
  });

  it("a create answered 5xx is retried: the lookup finds nothing, and the to-do is made once", async () => {
    const { db, em } = await setup();
    em.fail5xx(`POST /v1.0/todo/users/${derivedUnionId("rep1101")}/tasks`, 1);
    await inTx(db, (tx) =>
      outbound().createTodo(tx, { to: "rep1101", key: "todo-cr7-s1", subject: "审批", url: URL_OF("7") }),
    );
    await start(db, em).drain();
    expect(em.listTodos("rep1101")).toMatchObject([{ sourceId: "todo-cr7-s1" }]);
    expect((await rows(db))[0]).toMatchObject({ status: "SENT", attempts: 2 });
    const todoCalls = em.listRequests().filter((r) => r.path.startsWith("/v1.0/todo/"));
    expect(todoCalls.map((r) => `${r.method} ${r.status}`)).toEqual(["POST 500", "GET 400", "POST 200"]);
  });

  it("a person the directory does not know makes the create DEAD at once; finishing it then sends nothing", async () => {
    const { db, em } = await setup();
    const port = outbound();
    await inTx(db, (tx) => port.createTodo(tx, { to: "ghost", key: "todo-cr5-s1", subject: "审批", url: URL_OF("x") }));
    await start(db, em).drain();
    const [create] = await rows(db);
    expect(create).toMatchObject({ status: "DEAD", attempts: 1 });
    expect(create?.last_error).toMatch(/60121/);

    await inTx(db, (tx) => port.finishTodo(tx, { key: "todo-cr5-s1", doneKey: "todo-cr5-s1-done" }));
    await inTx(db, (tx) => port.finishTodo(tx, { key: "todo-never", doneKey: "todo-never-done" }));
    await worker!.drain();
    const [, deadOne, absent] = await rows(db);
    expect(deadOne).toMatchObject({
      status: "SENT",
      result: { skipped: expect.stringMatching(/could not be created/) },
    });
    expect(absent).toMatchObject({ status: "SENT", result: { skipped: expect.stringMatching(/no to-do was queued/) } });
    expect(em.listRequests().filter((r) => r.path.startsWith("/v1.0/todo/"))).toEqual([]);
  });

  it("turned off (DINGTALK_TODO=off) queues nothing, but still closes to-dos created before", async () => {
    const { db } = await setup();
    const off = outbound({ todo: false });
    expect(
      await inTx(db, (tx) => off.createTodo(tx, { to: "mgr110", key: "t-off", subject: "审批", url: URL_OF("1") })),
    ).toBe(false);
    expect(await inTx(db, (tx) => off.finishTodo(tx, { key: "t-off", doneKey: "t-off-done" }))).toBe(false);
    expect(await rows(db)).toEqual([]);

    await inTx(db, (tx) => outbound().createTodo(tx, { to: "mgr110", key: "t-on", subject: "审批", url: URL_OF("2") }));
    expect(await inTx(db, (tx) => off.finishTodo(tx, { key: "t-on", doneKey: "t-on-done" }))).toBe(true);
    expect((await rows(db)).map((r) => r.kind)).toEqual(["todo.create", "todo.update"]);
  });

  it("without a url it links to PUBLIC_URL; with neither it queues nothing (DingTalk requires a link)", async () => {
    const { db } = await setup();
    const todo = { to: "mgr110", key: "t-link", subject: "审批" };
    expect(await inTx(db, (tx) => outbound().createTodo(tx, todo))).toBe(false);
    expect(await rows(db)).toEqual([]);
    await expect(inTx(db, (tx) => outbound().createTodo(tx, { ...todo, url: "/approvals/1" }))).rejects.toThrow(
      /absolute http\(s\) URL/,
    );
    expect(await inTx(db, (tx) => outbound({ publicUrl: "https://bot.example.com" }).createTodo(tx, todo))).toBe(true);
    const payload = await db.sql.query<{ p: { body: { detailUrl: unknown } } }>(
      "SELECT payload AS p FROM outbox_message",
    );
    expect(payload[0]?.p.body.detailUrl).toEqual({
      appUrl: "https://bot.example.com",
      pcUrl: "https://bot.example.com",
    });
  });
});
