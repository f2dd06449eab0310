import type Router from "@koa/router";
import { z } from "zod";
import type { Database } from "../../db/database.ts";
import type { SqlRunner } from "../../db/sql.ts";
import { parseOrThrow, validate } from "../../http/validate.ts";
import { AppError } from "../../lib/errors.ts";
import { redriveDead } from "./outbox-rows.ts";

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
    payload: redactUrls(r.payload),
  }));
}

/**
 * Rows DingTalk never took and nobody has dealt with, and when the oldest of them was queued (for /healthz);
 * the status index answers it.
 */
export async function deadOutboxSummary(
  db: Pick<Database, "sql">,
): Promise<{ dead: number; oldestDeadAt: Date | null }> {
  const [row] = await db.sql.query<{ n: number; oldest: Date | null }>(
    "SELECT count(*)::int AS n, min(created_at) AS oldest FROM outbox_message WHERE status = 'DEAD'",
  );
  return { dead: row?.n ?? 0, oldestDeadAt: row?.oldest ? new Date(row.oldest) : null };
}

/**
 * The payload as the admin API shows it: a URL's query is cut (a session webhook's `?session=…` is a token
 * that lets anyone post into that chat until it expires, docs/dingtalk.md §2.1), the rest is kept for diagnosis.
 */
export function redactUrls(value: unknown): unknown {
  if (typeof value === "string")
    return /^https?:\/\/[^?]*\?/i.test(value) ? `${value.split("?")[0]}?（已隐藏）` : value;
  if (Array.isArray(value)) return value.map(redactUrls);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactUrls(v)]));
  }
  return value;
}

const ZRedriveRequest = z.union(
  [
    z.strictObject({
      ids: z
        .array(z.string().regex(/^[1-9]\d{0,18}$/, 'id 应为 GET /api/outbox 列出的行号，如 "42"'))
        .min(1, "ids 不能为空")
        .max(1000, "一次最多 1000 个 id"),
    }),
    z.strictObject({ all: z.literal(true) }),
  ],
  { error: '请求体应为 {"ids": ["42", …]} 或 {"all": true}' },
);

const ZOutboxQuery = z.object({
  status: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(["PENDING", "SENDING", "SENT", "DEAD"]))
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** `GET /api/outbox?status=dead&limit=100`: the messages DingTalk never took, for the bot-health report. */
export function registerOutboxRoutes(
  router: Router,
  deps: { db: Pick<Database, "sql">; bodyLimitBytes: number },
): void {
  router.get("/api/outbox", async (ctx) => {
    const query = parseOrThrow(ZOutboxQuery, ctx.query, "查询参数");
    const items = await listOutbox(deps.db, {
      limit: query.limit,
      ...(query.status ? { status: query.status } : {}),
    });
    ctx.body = { items };
  });

  /**
   * `POST /api/outbox/redrive {ids} | {all: true}` → `{redriven, ids}`: DEAD rows go out again with their
   * original idempotency keys (see redriveDead). Ids that are not DEAD rows (unknown, or already sent or
   * pending) are refused with 409 naming them, and nothing is redriven.
   */
  router.post("/api/outbox/redrive", validate(ZRedriveRequest, deps.bodyLimitBytes), async (ctx) => {
    const body = ctx.state.body as z.output<typeof ZRedriveRequest>;
    const ids = await deps.db.sql.transaction(async (tx) => {
      if ("all" in body) return redriveDead(tx, "all");
      const wanted = [...new Set(body.ids)];
      const dead = await tx.query<{ id: bigint }>(
        "SELECT id FROM outbox_message WHERE status = 'DEAD' AND id = ANY($1::bigint[]) FOR UPDATE",
        [wanted],
      );
      const found = new Set(dead.map((r) => String(r.id)));
      const missing = wanted.filter((id) => !found.has(id));
      if (missing.length > 0) {
        throw new AppError("CONFLICT", `这些 id 不是待重发（DEAD）的消息，未重发任何消息：${missing.join("、")}`, {
          details: { notDead: missing },
        });
      }
      return redriveDead(tx, wanted.map(BigInt));
    });
    // No wake-up needed: the worker claims due rows within its poll period (500 ms).
    ctx.body = { redriven: ids.length, ids };
  });
}
