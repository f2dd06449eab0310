import { progressCardReported, type TProgressReport } from "../../../cards/progress.ts";
import type { Tx } from "../../db/database.ts";
import { cardParamsUpdate } from "../../dingtalk/card-delivery-body.ts";
import { cardUpdateBody } from "../../dingtalk/inbound/api-card-updater.ts";
import { enqueue } from "../../dingtalk/outbox/enqueue.ts";
import type { Calendar } from "../../domain/calendar.ts";
import { progressCardId } from "./progress-card-id.ts";
import { promptInputFor } from "./progress-report.ts";

/**
 * A report made in chat also settles the person's prompt card for that period, if one was sent: the card then
 * says 「已提交：35万元（…）」 like after a click. The update goes through the outbox in the report's transaction,
 * so it is sent iff the report is stored, after the card's create (the outbox orders a card's rows), and a
 * crash cannot lose it. `key` (the message it came from) makes the update exactly-once.
 */
export async function updatePromptCard(
  tx: Tx,
  a: {
    planId: string;
    period: string;
    userId: string;
    report: TProgressReport;
    at: Date;
    timezone: string;
    calendar: Calendar;
    key: string;
  },
): Promise<boolean> {
  const outTrackId = progressCardId(a.planId, a.period, a.userId);
  const sent = await tx.outboxMessage.findUnique({ where: { idempotencyKey: outTrackId }, select: { kind: true } });
  if (sent?.kind !== "card.createAndDeliver") return false;
  const input = await promptInputFor(tx, a);
  if (!input) return false;
  const card = progressCardReported(input, a.report, a.at, a.timezone);
  const update = cardParamsUpdate(card, a.userId);
  const payload = cardUpdateBody({ outTrackId, userId: a.userId, userIdType: 1, update });
  return enqueue(tx, { idempotencyKey: `${outTrackId}.report.${a.key}`, kind: "card.update", payload });
}
