import type Router from "@koa/router";
import { z } from "zod";
import type { AppDeps } from "../../app-deps.ts";
import { parseOrThrow } from "../../http/validate.ts";
import { loadDigest } from "./digest-data.ts";

const ZDigestQuery = z.object({
  period: z.string().trim().min(1, "period 不能为空，如 2026-W50").max(20, "period 过长，应如 2026-W50").optional(),
  userId: z.string().trim().min(1, "userId 不能为空").max(100, "userId 过长").optional(),
});

/**
 * `GET /api/plans/:id/digest?period=2026-W50[&userId=]` → the `Digest` (src/domain/digest-types.ts), amounts as
 * exact decimal strings (the bigintJson middleware). Without `period`, the latest closed period; without
 * `userId`, the whole plan; with it, what that person's digest shows (their scope). 400 for a malformed period,
 * one of another cadence or year, or one not begun; 404 for an unknown plan or person, or a person with nobody
 * under them and no target; 409 for a person who left.
 */
export function registerDigestRoutes(router: Router, deps: AppDeps): void {
  router.get("/api/plans/:id/digest", async (ctx) => {
    const q = parseOrThrow(ZDigestQuery, ctx.query, "查询参数");
    ctx.body = await loadDigest(deps.db.sql, {
      planId: ctx.params.id ?? "",
      ...(q.period === undefined ? {} : { period: q.period }),
      ...(q.userId === undefined ? {} : { viewerUserId: q.userId }),
      calendar: deps.calendar,
      now: deps.now(),
    });
  });
}
