import { type Tx, txSql } from "../db/database.ts";
import type { LedgerKind } from "../generated/prisma/enums.ts";
import { chunks } from "../lib/chunks.ts";

/** Entries per INSERT (see lib/chunks.ts): phasing 10,000 leaves writes 10,000 entries with their months. */
export const LEDGER_CHUNK_ENTRIES = 2_000;

export interface LedgerEntry {
  planId: string;
  targetId: string;
  version: number;
  kind: LedgerKind;
  actor: string;
  reason?: string | null;
  oldAmount?: bigint | null;
  newAmount?: bigint | null;
  /** { field: [old, new] } for everything else that changed. */
  changes?: Record<string, [unknown, unknown]>;
  /** The approved change request this entry applies (its requester, approvers and reason). */
  changeRequestId?: string | null;
}

/**
 * Appends entries to the target ledger (the table refuses updates and deletes). Set-based INSERTs of up to
 * {@link LEDGER_CHUNK_ENTRIES} entries: a plan operation can write thousands of entries, and Prisma's
 * createMany spends far longer building them.
 */
export async function writeLedger(tx: Tx, entries: LedgerEntry[]): Promise<void> {
  for (const part of chunks(entries, LEDGER_CHUNK_ENTRIES)) await insertLedger(tx, part);
}

async function insertLedger(tx: Tx, entries: LedgerEntry[]): Promise<void> {
  await txSql(tx).query(ledgerInsertSql(1), ledgerParams(entries));
}

/**
 * The INSERT of ledger entries taking them as {@link ledgerParams}' ten array parameters, numbered from `$first`:
 * for a statement that writes other rows too (a split's new targets and their entries, insert-split-rows.ts).
 */
export function ledgerInsertSql(first: number): string {
  const types = ["text", "text", "int", "text", "text", "text", "int8", "int8", "text", "text"];
  const params = types.map((t, i) => `$${first + i}::${t}[]`).join(", ");
  return `INSERT INTO target_ledger (plan_id, target_id, version, kind, actor, reason, old_amount, new_amount, changes,
                                change_request_id)
     SELECT p, t, v, k::"LedgerKind", a, r, o, n, c::jsonb, q
       FROM unnest(${params}) AS x(p, t, v, k, a, r, o, n, c, q)`;
}

/** The entries as ten arrays, one per column, in the order {@link ledgerInsertSql} takes them. */
export function ledgerParams(entries: LedgerEntry[]): unknown[] {
  return [
    entries.map((e) => e.planId),
    entries.map((e) => e.targetId),
    entries.map((e) => e.version),
    entries.map((e) => e.kind),
    entries.map((e) => e.actor),
    entries.map((e) => e.reason ?? null),
    entries.map((e) => (e.oldAmount ?? null)?.toString() ?? null),
    entries.map((e) => (e.newAmount ?? null)?.toString() ?? null),
    entries.map((e) => (e.changes && Object.keys(e.changes).length > 0 ? JSON.stringify(e.changes, jsonBigint) : null)),
    entries.map((e) => e.changeRequestId ?? null),
  ];
}

/** JSON.stringify replacer: bigints as strings (they are exact; JSON numbers would not be). */
export function jsonBigint(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/**
 * A plan's ledger entries, oldest first (all targets, or `targetIds`), as the API and the dashboard show them:
 * an entry an approved change wrote carries its request — who asked, why, and who approved when.
 */
export async function readLedger(tx: Tx, a: { planId: string; targetIds?: readonly string[]; take: number }) {
  const entries = await tx.targetLedger.findMany({
    where: { planId: a.planId, ...(a.targetIds ? { targetId: { in: [...a.targetIds] } } : {}) },
    orderBy: { id: "asc" },
    take: a.take,
    include: { changeRequest: { include: { steps: { orderBy: { level: "asc" } } } } },
  });
  return entries.map(({ changeRequest: r, ...e }) => ({
    ...e,
    changeRequest: r && {
      id: r.id,
      kind: r.kind,
      requesterUserId: r.requesterUserId,
      reason: r.reason,
      rebalance: r.rebalance,
      approvals: r.steps
        .filter((s) => s.status === "APPROVED")
        .map((s) => ({ level: s.level, approverUserId: s.approverUserId, decidedAt: s.decidedAt, comment: s.comment })),
    },
  }));
}
