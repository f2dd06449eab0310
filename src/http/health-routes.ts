import type Router from "@koa/router";
import type { AppDeps } from "../app-deps.ts";

/** GET /healthz — no auth; 200 when the database answers, 503 otherwise (load balancers read the status). */
export function registerHealthRoutes(router: Router, deps: AppDeps): void {
  router.get("/healthz", async (ctx) => {
    const dbOk = await deps.db.ping();
    ctx.status = dbOk ? 200 : 503;
    ctx.body = { status: dbOk ? "ok" : "degraded", db: dbOk ? deps.db.kind : "down", dingtalk: deps.dingtalkStatus() };
  });
}
