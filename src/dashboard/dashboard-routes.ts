import type Router from "@koa/router";
import type { Context, Next } from "koa";
import { z } from "zod";
import type { AppDeps } from "../app-deps.ts";
import { issueDashboardToken } from "../flows/digest/dashboard-token.ts";
import { parseOrThrow, validate } from "../http/validate.ts";
import { AppError } from "../lib/errors.ts";
import { issueAdminDashboardToken, resolveViewer, viewerScope } from "./dashboard-access.ts";
import { dashboardAssets, sendAsset } from "./dashboard-assets.ts";
import { dashboardData, planOfViewer } from "./dashboard-data.ts";
import { dashboardNode } from "./dashboard-node.ts";
import { dashboardPage, refusalPage } from "./dashboard-page.ts";
import { dashboardPerson } from "./dashboard-person.ts";
import { nodeText, personText } from "./dashboard-text.ts";

/**
 * Content-Security-Policy of every dashboard answer: the page runs only its own scripts and styles and talks
 * only to its own origin; nothing may frame it; no link on it tells another site where it came from.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The token of a page request (`?t=`) or of the page's own API calls (a header, so it is in no URL but the link). */
const ZQuery = z.object({
  plan: z.string().trim().max(100).optional(),
  period: z.string().trim().max(20).optional(),
});
const ZNodeQuery = ZQuery.extend({ node: z.string().trim().max(100).optional() });
const ZPersonQuery = ZQuery.extend({ user: z.string().trim().min(1, "user 不能为空").max(100) });
const ZLinkRequest = z.strictObject({
  userId: z.string().trim().min(1).max(100).optional(),
  hours: z.number().int().min(1).max(24).default(8),
});

function securityHeaders(cache: "no-store" | "asset") {
  return async (ctx: Context, next: Next) => {
    ctx.set("Content-Security-Policy", CSP);
    ctx.set("Referrer-Policy", "no-referrer");
    ctx.set("X-Content-Type-Options", "nosniff");
    ctx.set("X-Frame-Options", "DENY");
    ctx.set("Cross-Origin-Resource-Policy", "same-origin");
    if (cache === "no-store") ctx.set("Cache-Control", "no-store");
    await next();
  };
}

/**
 * The web dashboard (issue #14): `GET /dashboard?t=<link token>` (the page), its JSON under /dashboard/api/
 * (the same token, in the `X-Dashboard-Token` header), its assets under /dashboard/assets/; and for admins
 * `POST /api/dashboard-links` (bearer token) → a short-lived link that sees everything, or a person's link.
 * In sandbox mode `/dashboard?as=<userId|admin>` hands out a fresh link for anyone: the "view as" picker.
 */
export function registerDashboardRoutes(router: Router, deps: AppDeps): void {
  const page = securityHeaders("no-store");
  const sandbox = !!deps.emulator;
  const linkUrl = (token: string) => `/dashboard?t=${encodeURIComponent(token)}`;

  router.get("/dashboard", page, async (ctx) => {
    const assets = dashboardAssets();
    const as = typeof ctx.query.as === "string" ? ctx.query.as : undefined;
    if (sandbox && as) {
      const now = deps.now();
      const token =
        as === "admin"
          ? issueAdminDashboardToken(deps.config, now, 8)
          : issueDashboardToken(deps.config.dashboardSecret, as, now, deps.config.dashboardLinkDays);
      ctx.redirect(linkUrl(token));
      return;
    }
    try {
      await resolveViewer(deps, typeof ctx.query.t === "string" ? ctx.query.t : undefined);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      ctx.status = err.status;
      ctx.type = "text/html; charset=utf-8";
      ctx.body = refusalPage(err.userMessage, {
        style: assets.style.path,
        sandbox,
        linkDays: deps.config.dashboardLinkDays,
      });
      return;
    }
    ctx.type = "text/html; charset=utf-8";
    ctx.body = dashboardPage({
      echarts: assets.echarts.path,
      charts: assets.charts.path,
      script: assets.script.path,
      style: assets.style.path,
    });
  });

  router.get("/dashboard/assets/:file", securityHeaders("asset"), (ctx) => {
    const found = Object.values(dashboardAssets()).find((a) => a.path === ctx.path);
    if (!found) throw new AppError("NOT_FOUND", "没有这个文件");
    sendAsset(ctx, found);
  });

  const viewerOf = (ctx: Context) => resolveViewer(deps, ctx.get("x-dashboard-token") || undefined);

  router.get("/dashboard/api/view", page, async (ctx) => {
    const viewer = await viewerOf(ctx);
    const q = parseOrThrow(ZQuery, ctx.query, "查询参数");
    ctx.body = await dashboardData(deps, viewer, q);
  });

  router.get("/dashboard/api/node", page, async (ctx) => {
    const viewer = await viewerOf(ctx);
    const q = parseOrThrow(ZNodeQuery, ctx.query, "查询参数");
    const { plan, period } = await planOfViewer(deps, viewer, q);
    const scope = await viewerScope(deps.db.prisma, viewer, plan);
    const node = await dashboardNode(deps.db, { planId: plan.id, nodeId: q.node, period, scope });
    ctx.body = nodeText(node, plan);
  });

  router.get("/dashboard/api/person", page, async (ctx) => {
    const viewer = await viewerOf(ctx);
    const q = parseOrThrow(ZPersonQuery, ctx.query, "查询参数");
    const { plan } = await planOfViewer(deps, viewer, q);
    const scope = await viewerScope(deps.db.prisma, viewer, plan);
    ctx.body = personText(await dashboardPerson(deps.db, { planId: plan.id, userId: q.user, scope }), plan);
  });

  router.post("/api/dashboard-links", validate(ZLinkRequest, deps.config.bodyLimitBytes), async (ctx) => {
    const body = ctx.state.body as z.output<typeof ZLinkRequest>;
    const now = deps.now();
    let token: string;
    let expiresAt: Date;
    if (body.userId) {
      const staff = await deps.db.prisma.staff.findUnique({ where: { userId: body.userId } });
      if (!staff) throw new AppError("NOT_FOUND", `员工 ${body.userId} 不存在`);
      if (!staff.active) throw new AppError("CONFLICT", `${staff.name}（${staff.userId}）已离职，不能再发看板链接`);
      token = issueDashboardToken(deps.config.dashboardSecret, staff.userId, now, deps.config.dashboardLinkDays);
      expiresAt = new Date(now.getTime() + deps.config.dashboardLinkDays * 86_400_000);
    } else {
      token = issueAdminDashboardToken(deps.config, now, body.hours);
      expiresAt = new Date(now.getTime() + body.hours * 3_600_000);
    }
    const base = deps.config.publicUrl ?? "";
    ctx.status = 201;
    ctx.body = { url: `${base}${linkUrl(token)}`, expiresAt, scope: body.userId ? "PERSON" : "ADMIN" };
  });
}
