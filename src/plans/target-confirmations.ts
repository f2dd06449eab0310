import type { Database } from "../db/database.ts";

/**
 * Where a leaf target's current version stands with its owner: no card sent for it yet, sent and unanswered,
 * 确认 (who, when) or 有异议 still waiting for the manager (who, when).
 */
export type TargetConfirmation =
  | { state: "UNSENT" | "PENDING" }
  | { state: "CONFIRMED" | "DISPUTED"; by: { userId: string; name: string }; at: Date };

const PRECEDENCE: Record<TargetConfirmation["state"], number> = { UNSENT: 0, PENDING: 1, DISPUTED: 2, CONFIRMED: 3 };

/**
 * The answers to the current versions of a plan's targets, by target id: the acknowledgement of that version,
 * else its open dispute, else PENDING when the owner's card of that version was queued (target_card_sent).
 */
export async function targetAnswers(db: Database, planId: string): Promise<Map<string, TargetConfirmation>> {
  const rows = await db.sql.query<{
    id: string;
    state: "CONFIRMED" | "DISPUTED" | "PENDING";
    user_id: string;
    name: string | null;
    at: Date;
  }>(
    `SELECT t.id, 'CONFIRMED' AS state, a.user_id, s.name, a.at
       FROM target t JOIN target_ack a ON a.target_id = t.id AND a.version = t.version
       JOIN staff s ON s.user_id = a.user_id
      WHERE t.plan_id = $1
     UNION ALL
     SELECT t.id, 'DISPUTED', r.requester_user_id, s.name, r.created_at
       FROM target t JOIN change_request r ON r.target_id = t.id AND r.target_version = t.version
        AND r.kind = 'DISPUTE' AND r.status = 'PENDING'
       JOIN staff s ON s.user_id = r.requester_user_id
      WHERE t.plan_id = $1
     UNION ALL
     SELECT t.id, 'PENDING', c.user_id, NULL, c.sent_at
       FROM target t JOIN target_card_sent c ON c.target_id = t.id AND c.version = t.version
        AND c.user_id = t.owner_user_id
      WHERE t.plan_id = $1`,
    [planId],
  );
  const answers = new Map<string, TargetConfirmation>();
  for (const r of rows) {
    // An acknowledgement settles the version; an open dispute (one per version, the card refuses a second)
    // only counts while there is none; a card sent (the confirm flow's target_card_sent) only while neither.
    const earlier = answers.get(r.id);
    if (earlier && PRECEDENCE[earlier.state] >= PRECEDENCE[r.state]) continue;
    answers.set(
      r.id,
      r.state === "PENDING"
        ? { state: "PENDING" }
        : { state: r.state, by: { userId: r.user_id, name: r.name ?? r.user_id }, at: new Date(r.at) },
    );
  }
  return answers;
}

/** A leaf's confirmation: its answer, else PENDING while the owner's card of this version is out, else UNSENT. */
export function confirmationOf(t: { id: string }, answers: Map<string, TargetConfirmation>): TargetConfirmation {
  return answers.get(t.id) ?? { state: "UNSENT" };
}
