import type Router from "@koa/router";
import { z } from "zod";
import type { AppDeps } from "../../app-deps.ts";
import { localDate } from "../../domain/zoned-time.ts";
import { parseOrThrow, validate } from "../../http/validate.ts";
import { cancelLeave, recordLeave } from "./leave-service.ts";

const isoDate = (field: string) =>
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/, `${field} 应为 YYYY-MM-DD 格式的日期，如 2026-12-08`);

const ZLeaveBody = z.strictObject({
  from: isoDate("from"),
  to: isoDate("to"),
  reason: z.string().trim().min(1).max(200).optional(),
});
const ZCancelQuery = z.object({ from: isoDate("from").optional() });

/**
 * PUT /api/staff/:userId/leave `{from, to, reason?}` → the stored leave (201; 200 when the same range was stored
 * before). DELETE /api/staff/:userId/leave[?from=YYYY-MM-DD] → the cancelled leave: the one starting on `from`,
 * or without it the current or next one (README "Admin API").
 */
export function registerLeaveRoutes(router: Router, deps: AppDeps): void {
  const today = () => localDate(deps.now(), deps.config.timezone);
  router.put("/api/staff/:userId/leave", validate(ZLeaveBody, deps.config.bodyLimitBytes), async (ctx) => {
    const body = ctx.state.body as z.output<typeof ZLeaveBody>;
    const userId = ctx.params.userId ?? "";
    const { leave, created } = await deps.db.prisma.$transaction((tx) =>
      recordLeave(tx, { userId, ...body, source: "API", today: today() }),
    );
    ctx.status = created ? 201 : 200;
    ctx.body = leave;
  });
  router.delete("/api/staff/:userId/leave", async (ctx) => {
    const { from } = parseOrThrow(ZCancelQuery, ctx.query, "查询参数");
    const userId = ctx.params.userId ?? "";
    ctx.body = await deps.db.prisma.$transaction((tx) => cancelLeave(tx, { userId, from, today: today() }));
  });
}
