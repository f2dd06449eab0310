import type Router from "@koa/router";
import { z } from "zod";
import type { AppDeps } from "../../app-deps.ts";
import { parseOrThrow, validate } from "../../http/validate.ts";
import { planProgress } from "./plan-progress.ts";
import { ZProgressImport } from "./progress-input.ts";
import { reportProgress } from "./report-progress.ts";

const ZPeriodQuery = z.object({ period: z.string().trim().min(1, "请指定 period，如 2026-W14") });

/** Actuals from CRM/ERP in, and each owner's progress for a period out (README, Admin API). */
export function registerProgressRoutes(router: Router, deps: AppDeps): void {
  router.post("/api/progress", validate(ZProgressImport, deps.config.bodyLimitBytes), async (ctx) => {
    const { entries } = ctx.state.body as z.output<typeof ZProgressImport>;
    const origin = `api:${ctx.state.requestId as string}`;
    const figures = entries.map(({ source, ...e }) => ({ ...e, kind: source }));
    ctx.body = await deps.db.prisma.$transaction((tx) => reportProgress(tx, { figures, source: "api", origin }), {
      timeout: 120_000,
    });
  });

  router.get("/api/plans/:id/progress", async (ctx) => {
    const { period } = parseOrThrow(ZPeriodQuery, ctx.query, "查询参数");
    ctx.body = await planProgress(deps.db, ctx.params.id ?? "", period, deps.calendar);
  });
}
