import type Router from "@koa/router";
import type { AppDeps } from "../../app-deps.ts";
import { publishPlan } from "./publish-plan.ts";

/** POST /api/plans/:id/publish → `{queued, leaves}` (409 with every problem when the plan is not ready). */
export function registerConfirmRoutes(router: Router, deps: AppDeps): void {
  router.post("/api/plans/:id/publish", async (ctx) => {
    ctx.body = await publishPlan(deps, ctx.params.id ?? "");
  });
}
