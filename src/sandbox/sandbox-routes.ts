import type Router from "@koa/router";
import { z } from "zod";
import type { AppDeps } from "../app-deps.ts";
import type { Emulator } from "../dingtalk/emulator/emulator-types.ts";
import { validate } from "../http/validate.ts";
import { AppError } from "../lib/errors.ts";
import { conversationView } from "./conversation-view.ts";
import { registerGuidedRoutes } from "./guided-routes.ts";
import { SANDBOX_PAGE } from "./sandbox-page.ts";

const ZSend = z.object({ userId: z.string().min(1), text: z.string().trim().min(1, "消息不能为空").max(2000) });
const ZClick = z.object({
  userId: z.string().min(1),
  outTrackId: z.string().min(1),
  params: z.record(z.string(), z.string().max(2000)).default({}),
  actionId: z.string().optional(),
});

/**
 * The sandbox page and its small JSON API (sandbox mode only, so no token: everything here is the emulator
 * acting as a person). Messages and taps go to the emulator, which pushes them to the bot over the stream
 * exactly as DingTalk would.
 */
export function registerSandboxRoutes(router: Router, deps: AppDeps, emulator: Emulator): void {
  const limit = 64 * 1024;
  router.get("/sandbox", (ctx) => {
    ctx.type = "text/html; charset=utf-8";
    ctx.body = SANDBOX_PAGE;
  });

  router.get("/sandbox/api/staff", async (ctx) => {
    const staff = await deps.db.prisma.staff.findMany({
      where: { active: true },
      include: { dept: true },
      orderBy: [{ deptId: "asc" }, { role: "asc" }, { userId: "asc" }],
    });
    ctx.body = {
      staff: staff.map((s) => ({ userId: s.userId, name: s.name, title: s.title, role: s.role, dept: s.dept.name })),
    };
  });

  router.get("/sandbox/api/conversation/:userId", (ctx) => {
    ctx.body = { items: conversationView(emulator, ctx.params.userId ?? "") };
  });

  // An image the bot sent (uploaded to the emulator with /media/upload), for the page's <img>.
  router.get("/sandbox/api/media/:mediaId", (ctx) => {
    const media = emulator.getMedia(ctx.params.mediaId ?? "");
    if (!media?.contentType.startsWith("image/")) throw new AppError("NOT_FOUND", "图片不存在");
    ctx.type = media.contentType;
    ctx.set("Cache-Control", "private, max-age=3600");
    ctx.body = media.bytes;
  });

  router.post("/sandbox/api/messages", validate(ZSend, limit), (ctx) => {
    const { userId, text } = ctx.state.body as z.output<typeof ZSend>;
    const messageId = emulator.sendText(userId, text);
    ctx.status = 202;
    ctx.body = { messageId };
  });

  router.post("/sandbox/api/click", validate(ZClick, limit), async (ctx) => {
    const { userId, outTrackId, params, actionId } = ctx.state.body as z.output<typeof ZClick>;
    if (!emulator.getCard(outTrackId)) throw new AppError("NOT_FOUND", `卡片 ${outTrackId} 不存在`);
    ctx.body = await emulator.clickCard(outTrackId, userId, params, actionId);
  });

  registerGuidedRoutes(router, deps, emulator);
}
