import type Router from "@koa/router";
import type { Context } from "koa";
import { paramError } from "./api-errors.ts";
import { appOf, newApiAuth } from "./api-guard.ts";
import type { AppRecord } from "./app-registry.ts";
import { checkRecipients, deliverCard, newCard, userIdMapper } from "./card-delivery.ts";
import { parseCardCreate, parseCardUpdate, requiredString } from "./card-input.ts";
import { applyCardUpdate, type CardRecord } from "./card-store.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import { parseDeliverModels, parseOpenSpaceId } from "./open-space.ts";
import { isRecord, readApiBody } from "./read-json.ts";

/** Interactive-card APIs of card_1_0 (docs/dingtalk.md §3.3, §3.4). */
export function registerCardRoutes(router: Router, core: EmulatorCore): void {
  const auth = newApiAuth(core);

  router.post("/v1.0/card/instances/createAndDeliver", auth, async (ctx) => {
    const app = appOf(ctx, core);
    const body = await requireBody(ctx);
    const toUserId = userIdMapper(core, body.userIdType);
    const input = parseCardCreate(body, toUserId);
    checkTemplate(app, input.cardTemplateId);
    core.cards.countCreate(input.outTrackId);
    const spaces = parseOpenSpaceId(body.openSpaceId);
    const models = parseDeliverModels(body, spaces, app);
    if (core.cards.get(input.outTrackId)) throw alreadyExists(input.outTrackId);
    checkRecipients(core, spaces, toUserId);
    const card = newCard(core, app, input);
    core.cards.add(card);
    const deliverResults = deliverCard(core, card, spaces, models, toUserId);
    ctx.body = { success: true, result: { outTrackId: card.outTrackId, deliverResults } };
  });

  router.post("/v1.0/card/instances", auth, async (ctx) => {
    const app = appOf(ctx, core);
    const body = await requireBody(ctx);
    const input = parseCardCreate(body, userIdMapper(core, body.userIdType));
    checkTemplate(app, input.cardTemplateId);
    core.cards.countCreate(input.outTrackId);
    if (core.cards.get(input.outTrackId)) throw alreadyExists(input.outTrackId);
    core.cards.add(newCard(core, app, input));
    // `result` is a string (docs/dingtalk.md §3.4); that it is the outTrackId is UNVERIFIED.
    ctx.body = { success: true, result: input.outTrackId };
  });

  router.post("/v1.0/card/instances/deliver", auth, async (ctx) => {
    const app = appOf(ctx, core);
    const body = await requireBody(ctx);
    const card = existingCard(core, app.clientId, body.outTrackId);
    const toUserId = userIdMapper(core, body.userIdType ?? card.userIdType);
    const spaces = parseOpenSpaceId(body.openSpaceId);
    const models = parseDeliverModels(body, spaces, app);
    checkRecipients(core, spaces, toUserId);
    ctx.body = { success: true, result: deliverCard(core, card, spaces, models, toUserId) };
  });

  router.put("/v1.0/card/instances", auth, async (ctx) => {
    const app = appOf(ctx, core);
    const body = await requireBody(ctx);
    const { outTrackId, ...update } = parseCardUpdate(body, userIdMapper(core, body.userIdType));
    const card = existingCard(core, app.clientId, outTrackId);
    applyCardUpdate(card, update, { at: core.clock.now(), source: "api" });
    ctx.body = { success: true, result: true };
  });
}

/** An app given its published templates knows no other id (docs/dingtalk.md §3.3 `param.templateNotExist`). */
function checkTemplate(app: AppRecord, cardTemplateId: string): void {
  if (app.templates && !app.templates.has(cardTemplateId)) {
    throw paramError("param.templateNotExist", `卡片模板不存在: ${cardTemplateId}`);
  }
}

async function requireBody(ctx: Context): Promise<Record<string, unknown>> {
  const body = await readApiBody(ctx);
  if (!isRecord(body) || Object.keys(body).length === 0) throw paramError("param.empty", "请求参数为空");
  return body;
}

/** Cards are scoped to the app that created them: another app's outTrackId does not exist for you. */
function existingCard(core: EmulatorCore, clientId: string, outTrackId: unknown): CardRecord {
  const id = requiredString(outTrackId, "param.outTrackIdEmpty", "outTrackId");
  const card = core.cards.get(id);
  if (!card || card.clientId !== clientId) throw paramError("param.cardNotExist", `卡片不存在: ${id}`);
  return card;
}

function alreadyExists(outTrackId: string) {
  return paramError(
    "param.cardAlreadyExist",
    `卡片已存在: ${outTrackId}; a new template or data needs a new outTrackId`,
  );
}
