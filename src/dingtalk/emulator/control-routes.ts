import type Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import { ControlError } from "./api-errors.ts";
import type { Emulator } from "./emulator-types.ts";
import { readControlBody } from "./read-json.ts";

const ZSendText = z.object({
  userId: z.string().min(1),
  text: z.string(),
  conversationType: z.enum(["1", "2"]).optional(),
  conversationId: z.string().min(1).optional(),
  conversationTitle: z.string().optional(),
  atBot: z.boolean().optional(),
  clientId: z.string().optional(),
});
const ZClick = z.object({
  userId: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  actionId: z.string().optional(),
});
const ZCount = z.object({ count: z.number().int().min(0) });
const ZMs = z.object({ ms: z.number().min(0) });
const ZFail = z.object({ api: z.string().min(1), count: z.number().int().min(0) });
const ZStall = z.object({ api: z.string().min(1), count: z.number().int().min(0), ms: z.number().min(0) });
const ZQps = z.object({ limit: z.number().int().positive().nullable() });
const ZRotate = z.object({ closeAfterMs: z.number().min(0).optional() });
const ZWait = z.object({ timeoutMs: z.number().min(0).optional() });

async function body<T extends z.ZodType>(ctx: Context, schema: T): Promise<z.infer<T>> {
  const parsed = schema.safeParse(await readControlBody(ctx));
  if (!parsed.success) throw new ControlError(400, z.prettifyError(parsed.error));
  return parsed.data;
}

/**
 * The HTTP twin of {@link Emulator}'s control methods, under `/_emulator` (JSON in, JSON out; 204 when there
 * is nothing to say). Used by the sandbox page; not part of DingTalk.
 */
export function registerControlRoutes(router: Router, emulator: Emulator): void {
  const p = "/_emulator";
  router.post(`${p}/messages`, async (ctx) => {
    const { userId, text, ...opts } = await body(ctx, ZSendText);
    ctx.body = { messageId: emulator.sendText(userId, text, opts) };
  });
  router.post(`${p}/cards/:outTrackId/click`, async (ctx) => {
    const { userId, params, actionId } = await body(ctx, ZClick);
    ctx.body = await emulator.clickCard(ctx.params.outTrackId!, userId, params, actionId);
  });
  router.get(`${p}/cards`, (ctx) => {
    ctx.body = emulator.listCards();
  });
  router.get(`${p}/card-creates`, (ctx) => {
    ctx.body = emulator.cardCreateCounts();
  });
  router.get(`${p}/cards/:outTrackId`, (ctx) => {
    const card = emulator.getCard(ctx.params.outTrackId!);
    if (!card) throw new ControlError(404, `no card with outTrackId ${ctx.params.outTrackId}`);
    ctx.body = card;
  });
  router.get(`${p}/todos/:userId`, (ctx) => {
    ctx.body = emulator.listTodos(ctx.params.userId!);
  });
  router.get(`${p}/inbox/:userId`, (ctx) => {
    ctx.body = emulator.getInbox(ctx.params.userId!);
  });
  router.get(`${p}/conversations/:conversationId`, (ctx) => {
    ctx.body = emulator.getConversation(ctx.params.conversationId!);
  });
  router.get(`${p}/direct-conversations/:userId`, (ctx) => {
    const clientId = typeof ctx.query.clientId === "string" ? ctx.query.clientId : undefined;
    ctx.body = { conversationId: emulator.directConversationId(ctx.params.userId!, clientId) };
  });
  registerInspection(router, emulator, p);
  registerFaults(router, emulator, p);
}

function registerInspection(router: Router, emulator: Emulator, p: string): void {
  router.get(`${p}/requests`, (ctx) => {
    ctx.body = emulator.listRequests(typeof ctx.query.api === "string" ? ctx.query.api : undefined);
  });
  router.get(`${p}/requests/max-in-window`, (ctx) => {
    if (typeof ctx.query.api !== "string") throw new ControlError(400, "query parameter api is required");
    const windowMs = Number(ctx.query.windowMs ?? 1000);
    ctx.body = { api: ctx.query.api, windowMs, max: emulator.maxRequestsInWindow(ctx.query.api, windowMs) };
  });
  router.get(`${p}/pushes`, (ctx) => {
    ctx.body = emulator.listPushes();
  });
  router.post(`${p}/pushes/:messageId/wait-ack`, async (ctx) => {
    const { timeoutMs } = await body(ctx, ZWait);
    ctx.body = await emulator.waitForAck(ctx.params.messageId!, timeoutMs);
  });
  router.get(`${p}/connections`, (ctx) => {
    ctx.body = emulator.listConnections();
  });
  router.get(`${p}/staff`, (ctx) => {
    ctx.body = emulator.getStaff();
  });
  // The bytes themselves (not JSON), with the type they were sniffed as: an <img> can point here.
  router.get(`${p}/media/:mediaId`, (ctx) => {
    const media = emulator.getMedia(ctx.params.mediaId!);
    if (!media) throw new ControlError(404, `no media with media_id ${ctx.params.mediaId}`);
    ctx.type = media.contentType;
    ctx.body = media.bytes;
  });
}

function registerFaults(router: Router, emulator: Emulator, p: string): void {
  const done = (ctx: Context) => {
    ctx.status = 204;
  };
  router.put(`${p}/qps`, async (ctx) => {
    emulator.setQpsLimit((await body(ctx, ZQps)).limit);
    done(ctx);
  });
  router.post(`${p}/faults/drop-acks`, async (ctx) => {
    emulator.dropAcks((await body(ctx, ZCount)).count);
    done(ctx);
  });
  router.post(`${p}/faults/delay-acks`, async (ctx) => {
    emulator.delayAcks((await body(ctx, ZMs)).ms);
    done(ctx);
  });
  router.post(`${p}/faults/fail5xx`, async (ctx) => {
    const { api, count } = await body(ctx, ZFail);
    emulator.fail5xx(api, count);
    done(ctx);
  });
  router.post(`${p}/faults/stall`, async (ctx) => {
    const { api, count, ms } = await body(ctx, ZStall);
    emulator.stall(api, count, ms);
    done(ctx);
  });
  router.post(`${p}/faults/latency`, async (ctx) => {
    emulator.latency((await body(ctx, ZMs)).ms);
    done(ctx);
  });
  router.post(`${p}/rotate`, async (ctx) => {
    await emulator.rotate((await body(ctx, ZRotate)).closeAfterMs);
    done(ctx);
  });
  router.post(`${p}/expire-tokens`, (ctx) => {
    emulator.expireTokens();
    done(ctx);
  });
  router.put(`${p}/staff`, async (ctx) => {
    const input = await readControlBody(ctx);
    try {
      emulator.setStaff(input as Parameters<Emulator["setStaff"]>[0]);
    } catch (err) {
      throw err instanceof z.ZodError ? new ControlError(400, z.prettifyError(err)) : err;
    }
    done(ctx);
  });
  router.post(`${p}/clock/advance`, async (ctx) => {
    emulator.advanceClock((await body(ctx, ZMs)).ms);
    done(ctx);
  });
  router.post(`${p}/reset`, (ctx) => {
    emulator.reset();
    done(ctx);
  });
}
