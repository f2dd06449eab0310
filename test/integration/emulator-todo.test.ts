import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { derivedUnionId } from "../../src/dingtalk/emulator/ids.ts";
import { accessToken, call, startTestEmulator } from "../fixtures/dingtalk/emulator-app.ts";

/* The emulator's to-do API (docs/dingtalk.md §7) over plain HTTP, as DingTalk would answer it. */

let emulator: Emulator | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function setup() {
  emulator = await startTestEmulator();
  return { em: emulator, token: await accessToken(emulator) };
}

const MGR = derivedUnionId("mgr110");
const TASKS = `/v1.0/todo/users/${MGR}/tasks`;
const LINK = { appUrl: "https://bot.example.com/a/1", pcUrl: "https://bot.example.com/a/1" };
const valid = { subject: "审批：张伟 目标调整", executorIds: [MGR], detailUrl: LINK };

describe("emulated to-do API", () => {
  it("creates, reads and finishes a task; the control API lists it for the person", async () => {
    const { em, token } = await setup();
    const created = await call(em, "POST", `${TASKS}?operatorId=${MGR}`, { token, body: valid });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ subject: valid.subject, done: false, executorIds: [MGR], detailUrl: LINK });
    expect(created.body.createdTime).toEqual(expect.any(Number));
    const id = created.body.id as string;

    expect((await call(em, "GET", `${TASKS}/${id}`, { token })).body).toMatchObject({ id, done: false });
    const put = await call(em, "PUT", `${TASKS}/${id}`, { token, body: { done: true } });
    expect(put).toMatchObject({ status: 200, body: { result: true } });
    expect((await call(em, "GET", `${TASKS}/${id}`, { token })).body).toMatchObject({ id, done: true });

    const listed = await call(em, "GET", "/_emulator/todos/mgr110");
    expect(listed.body).toMatchObject([{ id, subject: valid.subject, done: true }]);
    expect((await call(em, "GET", "/_emulator/todos/rep1101")).body).toEqual([]);
  });

  it("answers 400 for a body without detailUrl, subject or known executors, and stores nothing", async () => {
    const { em, token } = await setup();
    const { detailUrl: _, ...noLink } = valid;
    const cases: [string, unknown, RegExp][] = [
      ["no detailUrl", noLink, /detailUrl/],
      ["detailUrl without pcUrl", { ...valid, detailUrl: { appUrl: LINK.appUrl } }, /pcUrl/],
      ["blank subject", { ...valid, subject: " " }, /subject/],
      ["a userId for a unionId", { ...valid, executorIds: ["rep1101"] }, /executorIds.*rep1101/],
      ["empty body", {}, /请求参数为空/],
    ];
    for (const [name, body, message] of cases) {
      const res = await call(em, "POST", TASKS, { token, body });
      expect(res.status, name).toBe(400);
      expect(res.body.code, name).toMatch(/^param\./);
      expect(res.body.message, name).toMatch(message);
      expect(res.body.requestid, name).toEqual(expect.any(String));
    }
    const unknownOwner = await call(em, "POST", "/v1.0/todo/users/nobody/tasks", { token, body: valid });
    expect(unknownOwner.status).toBe(400);
    expect(em.listTodos("mgr110")).toEqual([]);
  });

  it("needs the access token header, and knows no task of another person", async () => {
    const { em, token } = await setup();
    const noToken = await call(em, "POST", TASKS, { body: valid });
    expect(noToken).toMatchObject({ status: 400, body: { code: "AuthenticationFailed.MissingParameter" } });
    const id = (await call(em, "POST", TASKS, { token, body: valid })).body.id as string;
    const other = `/v1.0/todo/users/${derivedUnionId("rep1101")}/tasks/${id}`;
    expect((await call(em, "PUT", other, { token, body: { done: true } })).status).toBe(400);
    expect((await call(em, "GET", `${TASKS}/task-unknown`, { token })).body.code).toBe("param.taskNotExist");
    expect(em.listTodos("mgr110")).toMatchObject([{ id, done: false }]);
  });

  it("limits QPS per API, not per person in the path", async () => {
    const { em, token } = await setup();
    em.setQpsLimit(2);
    const to = (userId: string) => {
      const unionId = derivedUnionId(userId);
      return call(em, "POST", `/v1.0/todo/users/${unionId}/tasks`, {
        token,
        body: { ...valid, executorIds: [unionId] },
      });
    };
    const statuses = [];
    for (const user of ["mgr110", "rep1101", "rep1102"]) statuses.push((await to(user)).status);
    expect(statuses).toEqual([200, 200, 403]);
  });
});
