import type Router from "@koa/router";
import { z } from "zod";
import type { Database } from "../../db/database.ts";
import type { SqlRunner } from "../../db/sql.ts";
import { parseOrThrow } from "../../http/validate.ts";

export type OutboxStatus = "PENDING" | "SENDING" | "SENT" | "DEAD";

/** One outbox row as the admin API shows it. */
export interface OutboxListItem {
  id: string;
  idempotencyKey: string;
  kind: string;
  api: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
  payload: unknown;
}

/** Newest first; `status` narrows to one state (e.g. DEAD rows to investigate). */
export async function listOutbox(
  db: Pick<Database, "sql"> | SqlRunner,
  opts: { status?: OutboxStatus; limit: number },
): Promise<OutboxListItem[]> {
  const sql = "sql" in db ? db.sql : db;
  const rows = await sql.query<{
    id: bigint;
    idempotency_key: string;
    kind: string;
    api: string;
    status: OutboxStatus;
    attempts: number;
    next_attempt_at: Date;
    last_error: string | null;
    created_at: Date;
    sent_at: Date | null;
    payload: unknown;
  }>(
    // An image row's PNG (base64, up to 27 MB) is left out: the listing is for reading, the size is enough.
    `SELECT id, idempotency_key, kind, api, status, attempts, next_attempt_at, last_error, created_at, sent_at,
       CASE WHEN payload ? 'png' THEN (payload - 'png') || jsonb_build_object('pngBase64Chars', length(payload->>'png'))
         ELSE payload END AS payload
     FROM outbox_message WHERE ($1::text IS NULL OR status::text = $1) ORDER BY id DESC LIMIT $2`,
    [opts.status ?? null, opts.limit],
  );
  return rows.map((r) => ({
    id: String(r.id),
    idempotencyKey: r.idempotency_key,
    kind: r.kind,
    api: r.api,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    payload: r.payload,
  }));
}

/** Rows DingTalk never took and nobody has dealt with (for /healthz); the status index answers it. */
export async function countDeadOutbox(db: Pick<Database, "sql">): Promise<number> {
  const [row] = await db.sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox_message WHERE status = 'DEAD'",
  );
  return row?.n ?? 0;
}

const ZOutboxQuery = z.object({
  status: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(["PENDING", "SENDING", "SENT", "DEAD"]))
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** `GET /api/outbox?status=dead&limit=100`: the messages DingTalk never took, for the bot-health report. */
export function registerOutboxRoutes(router: Router, deps: { db: Pick<Database, "sql"> }): void {
  router.get("/api/outbox", async (ctx) => {
    const query = parseOrThrow(ZOutboxQuery, ctx.query, "查询参数");
    const items = await listOutbox(deps.db, {
      limit: query.limit,
      ...(query.status ? { status: query.status } : {}),
    });
    ctx.body = { items };
  });
}
