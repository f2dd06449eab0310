import { CARD_CALLBACK_TOPIC } from "../topics.ts";
import { DingTalkApiError } from "./api-errors.ts";
import { parseCallbackResponse } from "./card-input.ts";
import { applyCardUpdate, type CardDelivery, type CardRecord, isEmptyUpdate } from "./card-store.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import type { CardClickResult } from "./emulator-types.ts";
import type { AckRecord } from "./push-tracker.ts";
import { isRecord } from "./read-json.ts";

/**
 * A person taps a 回传请求 button: push the card callback (only for STREAM cards, only to connections that
 * subscribed the topic), wait for the ack up to the deadline, apply its `response` (docs/dingtalk.md §3.6, §1.6).
 */
export async function clickCard(
  core: EmulatorCore,
  input: { outTrackId: string; userId: string; params: Record<string, unknown>; actionId?: string },
): Promise<CardClickResult> {
  const card = core.cards.get(input.outTrackId);
  if (!card) return { status: "none", reason: `no card with outTrackId ${input.outTrackId}` };
  if (card.callbackType !== "STREAM") {
    return { status: "none", reason: 'card was not created with callbackType "STREAM" (docs/dingtalk.md §3.1)' };
  }
  const delivery = deliveryFor(card, [input.userId, core.directory.unionIdOf(input.userId)]);
  if (!delivery) return { status: "none", reason: "card was never delivered" };
  const pushed = core.pushes.push({
    clientId: card.clientId,
    topic: CARD_CALLBACK_TOPIC,
    data: callbackData(core, card, delivery, input),
    deadlineMs: core.settings.cardCallbackDeadlineMs,
    redeliver: false,
  });
  if (!pushed) return { status: "none", reason: `no connection subscribed to ${CARD_CALLBACK_TOPIC}` };
  const { messageId } = pushed.record;
  const outcome = await pushed.outcome;
  if (outcome.kind === "timeout") return { status: "timeout", messageId };
  return applyAck(core, card, input.userId, messageId, outcome.ack);
}

/** The user's own 1:1 delivery (by userId or unionId) if there is one, else the first group delivery. */
function deliveryFor(card: CardRecord, ids: string[]): CardDelivery | undefined {
  return (
    card.deliveries.find((d) => d.spaceType === "IM_ROBOT" && ids.includes(d.spaceId)) ??
    card.deliveries.find((d) => d.spaceType === "IM_GROUP") ??
    card.deliveries[0]
  );
}

function callbackData(
  core: EmulatorCore,
  card: CardRecord,
  delivery: CardDelivery,
  input: { userId: string; params: Record<string, unknown>; actionId?: string },
): Record<string, unknown> {
  return {
    type: "actionCallback",
    outTrackId: card.outTrackId,
    corpId: core.corpId,
    // `userId` follows the card's userIdType (docs/dingtalk.md §3.6).
    userId: card.userIdType === 2 ? core.directory.unionIdOf(input.userId) : input.userId,
    userIdType: card.userIdType,
    spaceType: delivery.spaceType,
    spaceId: delivery.spaceId,
    extension: "{}",
    content: JSON.stringify({ cardPrivateData: { actionIds: [input.actionId ?? "action"], params: input.params } }),
  };
}

function applyAck(
  core: EmulatorCore,
  card: CardRecord,
  userId: string,
  messageId: string,
  ack: AckRecord,
): CardClickResult {
  if (ack.code !== 200) return { status: "rejected", messageId, reason: `ack code ${ack.code}` };
  let response: unknown;
  try {
    const data: unknown = JSON.parse(ack.data ?? "null");
    response = isRecord(data) ? data.response : undefined;
  } catch {
    return { status: "rejected", messageId, reason: "ack data is not JSON" };
  }
  try {
    const toUserId = (id: string) => (card.userIdType === 2 ? (core.directory.userIdOfUnion(id) ?? id) : id);
    const update = parseCallbackResponse(response, userId, toUserId);
    if (!isEmptyUpdate(update)) applyCardUpdate(card, update, { at: core.clock.now(), source: "callback", userId });
  } catch (err) {
    if (err instanceof DingTalkApiError)
      return { status: "rejected", messageId, reason: `${err.code}: ${err.message}` };
    throw err;
  }
  const applied = isRecord(response) ? response : null;
  return { status: "applied", messageId, response: applied, card: structuredClone(card) };
}
