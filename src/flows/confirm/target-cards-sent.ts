import type { CardParams } from "../../../cards/card-definition.ts";
import type { Tx } from "../../db/database.ts";
import type { Outbound } from "../../dingtalk/outbound.ts";

/** A target card for one person: what to send, and which target version it asks about. */
export interface TargetCard {
  card: "target";
  to: string;
  /** The outTrackId (targetCardId). */
  key: string;
  params: CardParams;
  targetId: string;
  version: number;
}

/**
 * Queues target cards and remembers, in the confirm flow's own table, when each was first queued: the
 * confirmation reminder counts workdays from that moment. A card queued before is neither sent nor stamped
 * again. Returns the cards newly queued.
 */
export async function sendTargetCards(tx: Tx, outbound: Outbound, cards: TargetCard[]): Promise<TargetCard[]> {
  const queued: TargetCard[] = [];
  for (const c of cards) {
    if (!(await outbound.sendCard(tx, c))) continue;
    queued.push(c);
    await tx.targetCardSent.createMany({
      data: [{ outTrackId: c.key, targetId: c.targetId, version: c.version, userId: c.to }],
      skipDuplicates: true, // stamped by an earlier send whose outbox row is gone: the first stamp stands
    });
  }
  return queued;
}
