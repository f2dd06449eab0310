import { progressCardReported, type TProgressReport } from "../../../cards/progress.ts";
import type { SqlRunner, Tx } from "../../db/database.ts";
import type { Outbound } from "../../dingtalk/outbound.ts";
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
  { tx, sql }: { tx: Tx; sql?: SqlRunner },
  outbound: Outbound,
  a: {
    planId: string;
    period: string;
    userId: string;
    report: TProgressReport;
    at: Date;
    timezone: string;
    calendar: Calendar;
    key: string;
    /** Whether the card was sent, when the caller asked already (storeProgressEntry's askSent). */
    sent?: boolean;
  },
): Promise<boolean> {
  const outTrackId = progressCardId(a.planId, a.period, a.userId);
  if (!(a.sent ?? (await outbound.wasSent(sql ?? tx, outTrackId)))) return false;
  const input = await promptInputFor(tx, a);
  if (!input) return false;
  const params = progressCardReported(input, a.report, a.at, a.timezone);
  return outbound.updateCard(tx, { card: outTrackId, to: a.userId, key: `${outTrackId}.report.${a.key}`, params });
}
