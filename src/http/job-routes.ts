import type Router from "@koa/router";
import { z } from "zod";
import type { AppDeps } from "../app-deps.ts";
import { AppError } from "../lib/errors.ts";
import { readJson } from "./read-body.ts";
import { parseOrThrow } from "./validate.ts";

/** `POST /api/jobs/:job/run` body: the instant whose period to run (default now); ISO 8601 with an offset. */
export const ZRunJobRequest = z.strictObject({
  at: z.iso.datetime({ offset: true, message: "at 应为带时区的 ISO 时间，如 2026-04-03T16:00:00+08:00" }).optional(),
});
export type TRunJobRequest = z.output<typeof ZRunJobRequest>;

/**
 * POST /api/jobs/:job/run `{at?}` → `{job, period, ran, status, result?, error?}`: runs a scheduled job now for
 * the period `at` falls in, through the same exactly-once claim as the schedule (a second call: ran false).
 * An empty body means "now". 404 names the jobs there are.
 */
export function registerJobRoutes(router: Router, deps: AppDeps): void {
  router.post("/api/jobs/:job/run", async (ctx) => {
    const scheduler = deps.scheduler;
    if (!scheduler) throw new AppError("CONFLICT", "调度器未启动");
    const json = await readJson(ctx, deps.config.bodyLimitBytes, { whenEmpty: {} });
    const { at } = parseOrThrow(ZRunJobRequest, json, "请求体");
    ctx.body = await scheduler.runNow(ctx.params.job ?? "", at ? new Date(at) : undefined);
  });
}
