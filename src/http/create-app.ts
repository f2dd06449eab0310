import Router from "@koa/router";
import Koa from "koa";
import type { AppDeps } from "../app-deps.ts";
import { registerDashboardRoutes } from "../dashboard/dashboard-routes.ts";
import { registerOutboxRoutes } from "../dingtalk/outbox/outbox-routes.ts";
import { AppError } from "../lib/errors.ts";
import { registerOrgRoutes } from "../org/org-routes.ts";
import { registerOrgSyncRoutes } from "../org/org-sync-routes.ts";
import { registerPlanRoutes } from "../plans/plan-routes.ts";
import { registerSandboxRoutes } from "../sandbox/sandbox-routes.ts";
import { registerHealthRoutes } from "./health-routes.ts";
import { registerJobRoutes } from "./job-routes.ts";
import { bearerAuth, bigintJson, errorMiddleware, rejectBadRequestText, requestLogger } from "./middleware.ts";

/**
 * The koa app: error middleware first, then request logging, auth for /api/*, and each feature's routes (the
 * dashboard's outside /api: its links carry their own signed token) —
 * the flows' routes are passed in (`flowRoutes`, from each flow's module).
 */
export function createApp(deps: AppDeps, flowRoutes: ((router: Router) => void)[] = []): Koa {
  const app = new Koa({ proxy: true });
  app.silent = true; // errors are logged by the error middleware, not printed by koa
  app.use(requestLogger(deps.log));
  app.use(errorMiddleware());
  app.use(bigintJson());
  app.use(rejectBadRequestText());

  const router = new Router();
  router.use("/api", bearerAuth(deps.config.adminToken));
  registerHealthRoutes(router, deps);
  registerOrgRoutes(router, deps);
  registerOrgSyncRoutes(router, deps);
  registerPlanRoutes(router, deps);
  for (const register of flowRoutes) register(router);
  registerOutboxRoutes(router, { db: deps.db, bodyLimitBytes: deps.config.bodyLimitBytes });
  registerJobRoutes(router, deps);
  registerDashboardRoutes(router, deps);
  if (deps.emulator) registerSandboxRoutes(router, deps, deps.emulator);
  app.use(router.routes());
  app.use(
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () => new AppError("METHOD_NOT_ALLOWED", "该接口不支持这个请求方法"),
      notImplemented: () => new AppError("METHOD_NOT_ALLOWED", "不支持这个请求方法"),
    }),
  );
  return app;
}

/**
 * Every route the app serves, as `[method, path]` pairs from its router (HEAD, which the router adds to each GET,
 * left out): what the API fuzz test (test/integration/api-fuzz.test.ts) walks, so a new route cannot be missed.
 */
export function routesOf(app: Koa): { method: string; path: string }[] {
  const routers = app.middleware.flatMap((m) => {
    const router = (m as { router?: Router }).router;
    return router ? [router] : [];
  });
  return routers.flatMap((r) =>
    r.stack.flatMap((layer) =>
      layer.methods.filter((method) => method !== "HEAD").map((method) => ({ method, path: layer.path as string })),
    ),
  );
}
