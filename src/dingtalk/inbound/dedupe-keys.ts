import { createHash } from "node:crypto";
import type { SqlRunner } from "../../db/database.ts";
import type { Staff } from "../../generated/prisma/client.ts";
import type { ClaimProbe } from "./inbound-types.ts";
import type { CardActionEvent, RobotTextEvent } from "./parse-push.ts";

/**
 * Keys of a chat message in inbound_event. Both ids are recorded: a redelivery repeats the frame's messageId
 * and the message's msgId (docs/dingtalk.md §1.6 says to dedupe on both), and either one alone marks a duplicate.
 */
export function textKeys(event: RobotTextEvent): string[] {
  return [`msg:${event.msgId}`, `mid:${event.messageId}`];
}

/**
 * Key of a card click: the same person making the same choice on the same card is one effect, whatever
 * messageId the click arrived with (a double tap is two pushes). Different params (another amount typed into
 * the form) are a different action.
 */
export function cardKey(event: CardActionEvent): string {
  const action = typeof event.params.action === "string" ? event.params.action : (event.actionIds[0] ?? "");
  const hash = createHash("sha256").update(canonicalJson(event.params)).digest("hex").slice(0, 16);
  return `card:${event.outTrackId}:${event.userId}:${action}:${hash}`;
}

/** Key of one card push: a redelivery repeats the frame's messageId (docs/dingtalk.md §1.6). */
export function cardPushKey(event: CardActionEvent): string {
  return `cmid:${event.messageId}`;
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The Staff columns under their Prisma field names, for the raw statement below. */
const STAFF_COLUMNS = `s.user_id AS "userId", s.name, s.dept_id AS "deptId", s.manager_user_id AS "managerUserId",
  s.title, s.role::text AS role, s.active, s.created_at AS "createdAt", s.updated_at AS "updatedAt"`;

/**
 * Inserts the keys (ON CONFLICT DO NOTHING) and reads the acting person, in one round trip: this runs for
 * every push, on the transaction's `sql` (Database.transaction: no Prisma on the way, bench/inbound.ts).
 * `claimed` is false when any key was already there: the event is a duplicate. A concurrent transaction
 * holding the same key makes this wait until it commits or rolls back, so two replicas receiving the same
 * push cannot both run the handler. `probes` are answered in the same statement (`probes` of the result).
 */
export async function claimEvent(
  sql: SqlRunner,
  input: { keys: string[]; kind: "text" | "card"; messageId: string; userId: string | null },
  probes: readonly ClaimProbe[] = [],
): Promise<{ claimed: boolean; staff: Staff | null; probes: Map<string, boolean> }> {
  const values = input.keys.map((_, i) => `($${i + 4}, $1, $2)`).join(", ");
  const asked = probes.map((p, i) => `, (${p.sql})::boolean AS "probe${i}"`).join("");
  const [found] = await sql.query<Omit<Staff, "userId"> & { claimed: number; userId: string | null }>(
    `WITH claimed AS (
       INSERT INTO inbound_event (key, kind, message_id) VALUES ${values} ON CONFLICT DO NOTHING RETURNING 1
     )
     SELECT (SELECT count(*) FROM claimed)::int AS claimed, ${STAFF_COLUMNS}${asked}
     FROM (SELECT 1) AS one LEFT JOIN staff s ON s.user_id = $3::text`,
    [input.kind, input.messageId, input.userId, ...input.keys],
  );
  if (!found) throw new Error("claimEvent returned no row");
  const row = found as typeof found & Record<string, unknown>;
  const answers = new Map(probes.map((p, i) => [p.name, row[`probe${i}`] === true]));
  for (const i of probes.keys()) delete row[`probe${i}`];
  const { claimed, ...staff } = row;
  return {
    claimed: claimed === input.keys.length,
    staff: staff.userId === null ? null : (staff as Staff),
    probes: answers,
  };
}
