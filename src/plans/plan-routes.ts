import type Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDeps } from "../app-deps.ts";
import { readBody } from "../http/read-body.ts";
import { readMultipart } from "../http/read-multipart.ts";
import { checkXlsx, uploadGateFor } from "../http/upload-limits.ts";
import { parseOrThrow, validate } from "../http/validate.ts";
import { AppError } from "../lib/errors.ts";
import { badCharMessage, findBadChar } from "../lib/text-rule.ts";
import { createPlan } from "./create-plan.ts";
import { getTargetTree } from "./get-target-tree.ts";
import { importPlanWorkbook } from "./import-plan-workbook.ts";
import { readLedger } from "./ledger.ts";
import { phasePlan } from "./phase-plan.ts";
import { planNotFound, targetNotFound } from "./plan-errors.ts";
import {
  type TCreatePlanRequest,
  type TSplitRequest,
  ZCreatePlanRequest,
  ZPhasingRequest,
  ZSplitRequest,
} from "./plan-input.ts";
import { planReadiness } from "./plan-readiness.ts";
import { splitTarget } from "./split-target.ts";

/** Who the ledger records for an admin-API change: `X-Actor` (a userId or a name) or "admin-api". */
function actorOf(ctx: Context): string {
  const actor = ctx.get("x-actor").trim().slice(0, 100);
  checkHeaderText("X-Actor", actor);
  return actor || "admin-api";
}

/** The text rule for a header a route stores (Node refuses NUL in raw headers, not in a decoded %00). */
function checkHeaderText(name: string, value: string): void {
  const bad = findBadChar(value);
  if (bad) throw new AppError("VALIDATION", badCharMessage(`请求头 ${name} / header ${name}`, bad));
}
const ZLedgerQuery = z.object({
  targetId: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});

/** Plans, decomposition, phasing, the target tree, readiness, the ledger and the Excel round trip. */
export function registerPlanRoutes(router: Router, deps: AppDeps): void {
  const { db, config, calendar } = deps;
  const limit = config.bodyLimitBytes;

  router.post("/api/plans", validate(ZCreatePlanRequest, limit), async (ctx) => {
    const input = ctx.state.body as TCreatePlanRequest;
    ctx.status = 201;
    ctx.body = await createPlan({ db, input, actor: actorOf(ctx), defaultTimezone: config.timezone });
  });

  router.get("/api/plans", async (ctx) => {
    ctx.body = { plans: await db.prisma.plan.findMany({ orderBy: { createdAt: "desc" } }) };
  });

  router.get("/api/plans/:id", async (ctx) => {
    const plan = await db.prisma.plan.findUnique({ where: { id: ctx.params.id ?? "" } });
    if (!plan) throw planNotFound(ctx.params.id ?? "");
    ctx.body = plan;
  });

  router.post("/api/plans/:id/splits", validate(ZSplitRequest, limit), async (ctx) => {
    const request = ctx.state.body as TSplitRequest;
    const children = await splitTarget({ db, planId: ctx.params.id ?? "", request, actor: actorOf(ctx), calendar });
    const order = new Map(request.children.map((c, i) => [c.key, i]));
    ctx.status = 201;
    ctx.body = { children: children.sort((a, b) => (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0)) };
  });

  router.post("/api/plans/:id/phasing", validate(ZPhasingRequest, limit), async (ctx) => {
    const { profile } = ctx.state.body as z.output<typeof ZPhasingRequest>;
    ctx.body = await phasePlan({ db, planId: ctx.params.id ?? "", profile, actor: actorOf(ctx), calendar });
  });

  router.get("/api/plans/:id/targets", async (ctx) => {
    ctx.body = await getTargetTree(db, ctx.params.id ?? "");
  });

  router.get("/api/plans/:id/readiness", async (ctx) => {
    ctx.body = await planReadiness(db, ctx.params.id ?? "");
  });

  router.get("/api/plans/:id/ledger", async (ctx) => {
    const q = parseOrThrow(ZLedgerQuery, ctx.query, "查询参数");
    const planId = ctx.params.id ?? "";
    if (!(await db.prisma.plan.findUnique({ where: { id: planId } }))) throw planNotFound(planId);
    // A mistyped target id must not look like a target with no history.
    if (q.targetId && !(await db.prisma.target.findFirst({ where: { id: q.targetId, planId } })))
      throw targetNotFound(q.targetId);
    ctx.body = {
      entries: await readLedger(db.prisma, {
        planId,
        ...(q.targetId ? { targetIds: [q.targetId] } : {}),
        take: q.limit,
      }),
    };
  });

  router.get("/api/plans/:id/export.xlsx", async (ctx) => {
    // ExcelJS loads at the first export, not at start.
    const { exportPlanWorkbook } = await import("./export-plan-workbook.ts");
    const { filename, buffer } = await exportPlanWorkbook(db, ctx.params.id ?? "");
    ctx.type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    ctx.attachment(filename);
    ctx.body = buffer;
  });

  router.post("/api/plans/:id/import", async (ctx) => {
    const actor = actorOf(ctx);
    const reason = reasonOf(ctx);
    // One heavy upload at a time per process; the workbook is checked against the upload limits (unzipped
    // size, rows, columns, cell size) before exceljs opens it.
    ctx.body = await uploadGateFor(deps).run(async () => {
      const file = await readWorkbookUpload(ctx, limit);
      await checkXlsx(file, config.upload);
      return importPlanWorkbook({ db, planId: ctx.params.id ?? "", file, actor, reason, calendar });
    });
  });
}

/** `X-Reason`, URL-encoded so it can carry Chinese; a malformed encoding is a 400, not a crash. */
function reasonOf(ctx: Context): string | undefined {
  let reason: string;
  try {
    reason = decodeURIComponent(ctx.get("x-reason")).trim().slice(0, 500);
  } catch {
    throw new AppError("VALIDATION", "X-Reason 请求头应为 URL 编码的文字（encodeURIComponent）");
  }
  checkHeaderText("X-Reason", reason);
  return reason || undefined;
}

/** The workbook as a raw body or as the only/first file of a multipart upload. */
async function readWorkbookUpload(ctx: Context, limit: number): Promise<Buffer> {
  if (ctx.request.type === "multipart/form-data") {
    const file = Object.values((await readMultipart(ctx, limit)).files)[0];
    if (!file) throw new AppError("VALIDATION", "请上传导出的 Excel 文件（.xlsx）");
    return file.data;
  }
  const raw = await readBody(ctx, limit);
  if (raw.length === 0) throw new AppError("VALIDATION", "请上传导出的 Excel 文件（.xlsx）");
  return raw;
}
