import { buildTargetCard } from "../../../cards/target.ts";
import type { Tx } from "../../db/database.ts";
import type { Outbound } from "../../dingtalk/outbound.ts";
import { targetCardId } from "./target-card-id.ts";
import { targetCardInput } from "./target-card-input.ts";
import { sendTargetCards } from "./target-cards-sent.ts";

/**
 * After a published target got a new version outside publishing (an approved change): its owner's card for the
 * new version, to 确认 or dispute again. Confirmation re-opens for these owners only; the card shows the amount
 * before. Returns how many cards were newly queued (a card already queued for that version is not sent again).
 */
export async function sendNewVersionCards(tx: Tx, outbound: Outbound, targetIds: readonly string[]): Promise<number> {
  const cards = [];
  for (const id of targetIds) {
    const input = await targetCardInput(tx, id);
    const key = targetCardId(id, input.version, input.owner.userId);
    cards.push({
      card: "target" as const,
      to: input.owner.userId,
      key,
      params: buildTargetCard(input),
      targetId: id,
      version: input.version,
    });
  }
  return (await sendTargetCards(tx, outbound, cards)).length;
}
