import { randomBytes } from "node:crypto";
import type Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import { paramError } from "./api-errors.ts";
import { appOf, newApiAuth } from "./api-guard.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import { isRecord, readApiBody } from "./read-json.ts";
import type { TodoTask } from "./todo-store.ts";

const ZUnionIds = z.array(z.string().min(1));
const requiredText = (field: string) => z.string({ error: `${field} 不能为空` }).min(1, `${field} 不能为空`);

/** docs/dingtalk.md §7; unknown fields (actionList, contentFieldList, …) are accepted and ignored. */
export const ZTodoCreate = z.looseObject({
  subject: requiredText("subject").trim().min(1, "subject 不能为空"),
  description: z.string().optional(),
  dueTime: z.number().int().optional(),
  executorIds: ZUnionIds.default([]),
  participantIds: ZUnionIds.default([]),
  // Required since 2024-02-01 (open.dingtalk.com add-dingtalk-to-do-task).
  detailUrl: z.object(
    { appUrl: requiredText("detailUrl.appUrl"), pcUrl: requiredText("detailUrl.pcUrl") },
    { error: "detailUrl 不能为空（自 2024-02-01 起必填）" },
  ),
  sourceId: z.string().optional(),
  priority: z.number().int().optional(),
});

/** The fields of a task PUT may change (docs/dingtalk.md §7). */
export const ZTodoUpdate = z.looseObject({
  done: z.boolean().optional(),
  subject: z.string().trim().min(1, "subject 不能为空").optional(),
  description: z.string().optional(),
  dueTime: z.number().int().optional(),
  executorIds: ZUnionIds.optional(),
  participantIds: ZUnionIds.optional(),
});

/** The rate-limit names of these APIs: per API, not per person in the path (docs/dingtalk.md §8). */
const TASKS = "/v1.0/todo/users/{unionId}/tasks";

/** To-do APIs of todo_1_0 (docs/dingtalk.md §7): create, read and change a person's tasks. */
export function registerTodoRoutes(router: Router, core: EmulatorCore): void {
  router.post("/v1.0/todo/users/:unionId/tasks", newApiAuth(core, `POST ${TASKS}`), async (ctx) => {
    const owner = knownUnionId(core, ctx.params.unionId!, "unionId");
    checkOperator(core, ctx);
    const input = parse(ZTodoCreate, await readApiBody(ctx));
    for (const id of [...input.executorIds, ...input.participantIds]) knownUnionId(core, id, "executorIds");
    const now = core.clock.now();
    const task: TodoTask = {
      id: `task${randomBytes(12).toString("hex")}`,
      clientId: appOf(ctx, core).clientId,
      ownerUnionId: owner,
      subject: input.subject,
      ...(input.description === undefined ? {} : { description: input.description }),
      ...(input.dueTime === undefined ? {} : { dueTime: input.dueTime }),
      executorIds: [...new Set(input.executorIds)],
      participantIds: [...new Set(input.participantIds)],
      detailUrl: input.detailUrl,
      ...(input.sourceId === undefined ? {} : { sourceId: input.sourceId }),
      ...(input.priority === undefined ? {} : { priority: input.priority }),
      done: false,
      createdTime: now,
      modifiedTime: now,
    };
    core.todos.add(task);
    ctx.body = taskBody(task);
  });

  router.get("/v1.0/todo/users/:unionId/tasks/:taskId", newApiAuth(core, `GET ${TASKS}/{taskId}`), (ctx) => {
    ctx.body = taskBody(existingTask(core, ctx));
  });

  router.get(
    "/v1.0/todo/users/:unionId/tasks/sources/:sourceId",
    newApiAuth(core, `GET ${TASKS}/sources/{sourceId}`),
    (ctx) => {
      const unionId = ctx.params.unionId!;
      const clientId = appOf(ctx, core).clientId;
      const task = core.todos.of(unionId).find((t) => t.sourceId === ctx.params.sourceId && t.clientId === clientId);
      if (!task) throw paramError("param.taskNotExist", `没有 sourceId 为 ${ctx.params.sourceId} 的待办`);
      ctx.body = taskBody(task);
    },
  );

  router.put("/v1.0/todo/users/:unionId/tasks/:taskId", newApiAuth(core, `PUT ${TASKS}/{taskId}`), async (ctx) => {
    checkOperator(core, ctx);
    const task = existingTask(core, ctx);
    const change = parse(ZTodoUpdate, await readApiBody(ctx));
    for (const id of [...(change.executorIds ?? []), ...(change.participantIds ?? [])]) {
      knownUnionId(core, id, "executorIds");
    }
    const now = core.clock.now();
    if (change.done === true && !task.done) task.finishTime = now;
    if (change.done === false) delete task.finishTime;
    if (change.done !== undefined) task.done = change.done;
    if (change.subject !== undefined) task.subject = change.subject;
    if (change.description !== undefined) task.description = change.description;
    if (change.dueTime !== undefined) task.dueTime = change.dueTime;
    if (change.executorIds) task.executorIds = [...new Set(change.executorIds)];
    if (change.participantIds) task.participantIds = [...new Set(change.participantIds)];
    task.modifiedTime = now;
    ctx.body = { result: true };
  });
}

/** A task as the API answers it: without the emulator's bookkeeping. */
export function taskBody(task: TodoTask): Record<string, unknown> {
  const { clientId: _app, ownerUnionId, ...rest } = task;
  return { ...rest, creatorId: ownerUnionId, source: "isv", bizTag: "ding" };
}

/** A DingTalk-shaped 400 naming the first problem (error codes of the to-do API are UNVERIFIED). */
function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  if (!isRecord(body) || Object.keys(body).length === 0) throw paramError("param.empty", "请求参数为空");
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join(".");
  throw paramError(
    "param.invalid",
    field && !issue.message.includes(field) ? `${field}: ${issue.message}` : issue.message,
  );
}

function knownUnionId(core: EmulatorCore, unionId: string, field: string): string {
  if (!core.directory.userIdOfUnion(unionId)) throw paramError("param.invalid", `${field}: 未知的 unionId ${unionId}`);
  return unionId;
}

/** `?operatorId=` is optional; given, it must be a person. */
function checkOperator(core: EmulatorCore, ctx: Context): void {
  const operator = ctx.query.operatorId;
  if (operator === undefined) return;
  if (typeof operator !== "string") throw paramError("param.invalid", "operatorId 只能有一个");
  knownUnionId(core, operator, "operatorId");
}

/** A task of this app that the path's person holds (created in their list, or assigned to them). */
function existingTask(core: EmulatorCore, ctx: Context): TodoTask {
  const unionId = ctx.params.unionId!;
  const task = core.todos.get(ctx.params.taskId!);
  const holds = task && (task.ownerUnionId === unionId || task.executorIds.includes(unionId));
  if (!task || !holds || task.clientId !== appOf(ctx, core).clientId) {
    throw paramError("param.taskNotExist", `待办不存在: ${ctx.params.taskId}`);
  }
  return task;
}
