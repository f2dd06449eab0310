import { randomUUID } from "node:crypto";
import type { Target } from "../generated/prisma/client.ts";
import type { NewTarget } from "./insert-split-rows.ts";
import type { LedgerEntry } from "./ledger.ts";
import { peopleChanges } from "./people-changes.ts";
import type { TSplitRequest } from "./plan-input.ts";
import type { ResolvedChild } from "./resolve-children.ts";

/** The parent fields a split needs, read with its row lock. */
export type LockedParent = Pick<Target, "id" | "planId" | "label" | "depth" | "amount" | "state" | "splitDimension">;

/** A child the parent already has, with what re-splitting compares. */
export type ExistingChild = Pick<Target, "id" | "key" | "label" | "amount" | "version" | "state" | "ownerUserId"> & {
  coOwners: { userId: string }[];
};

export interface ChildChangesInput {
  parent: LockedParent;
  existing: ExistingChild[];
  request: TSplitRequest;
  resolved: ResolvedChild[];
  amounts: bigint[];
  actor: string;
  /** Ids for new children (tests pass a predictable one). */
  newId?: () => string;
}

/** An existing child that gets a new version: its new fields and co-owners. */
export interface ChildUpdate {
  id: string;
  data: Pick<Target, "label" | "ownerUserId" | "locked" | "weight" | "lastYear" | "growth" | "amount" | "version"> & {
    state: "DRAFT";
  };
  coOwnerUserIds: string[];
}

/** What re-splitting a parent changes, decided without the database; `writeChildren` applies it. */
export interface ChildChanges {
  creates: NewTarget[];
  coOwners: { targetId: string; userId: string }[];
  updates: ChildUpdate[];
  /** Children whose key is no longer given: archived with a new version. */
  archives: { id: string; version: number }[];
  ledger: LedgerEntry[];
  /** Children that are new or changed (to re-phase). */
  touched: string[];
}

/**
 * Compares the children a split asks for with the ones the parent has, by key: a new key is a new child
 * (version 1), a changed one a new version (amount, label, people, or brought back from the archive), an
 * unchanged one nothing, a key no longer given an archived child. Every change has its ledger entry.
 */
export function childChanges(a: ChildChangesInput): ChildChanges {
  const newId = a.newId ?? randomUUID;
  const byKey = new Map(a.existing.map((c) => [c.key, c]));
  const out: ChildChanges = { creates: [], coOwners: [], updates: [], archives: [], ledger: [], touched: [] };
  const base = { planId: a.parent.planId, actor: a.actor, reason: a.request.reason ?? null };
  for (const [i, child] of a.resolved.entries()) {
    const input = a.request.children[i]!;
    const amount = a.amounts[i]!;
    const fields = {
      label: child.label,
      ownerUserId: child.ownerUserId,
      locked: input.locked,
      weight: input.weight ?? null,
      lastYear: input.lastYear ?? null,
      growth: input.growth ?? null,
    };
    const old = byKey.get(child.key);
    if (!old) {
      const id = newId();
      const depth = a.parent.depth + 1;
      const where = { planId: a.parent.planId, parentId: a.parent.id, dimension: a.request.dimension, key: child.key };
      out.creates.push({ id, ...where, depth, amount, ...fields });
      out.coOwners.push(...child.coOwnerUserIds.map((userId) => ({ targetId: id, userId })));
      out.ledger.push({ ...base, targetId: id, version: 1, kind: "SPLIT", newAmount: amount });
      out.touched.push(id);
      continue;
    }
    byKey.delete(child.key);
    const changes = peopleChanges(
      { ownerUserId: old.ownerUserId, coOwnerUserIds: old.coOwners.map((c) => c.userId) },
      child,
    );
    if (old.state === "ARCHIVED") changes.state = ["ARCHIVED", "DRAFT"];
    if (old.amount === amount && Object.keys(changes).length === 0 && old.label === child.label) continue;
    const version = old.version + 1;
    out.updates.push({
      id: old.id,
      data: { ...fields, amount, version, state: "DRAFT" },
      coOwnerUserIds: child.coOwnerUserIds,
    });
    out.ledger.push({
      ...base,
      targetId: old.id,
      version,
      kind: "SPLIT",
      oldAmount: old.amount,
      newAmount: amount,
      changes,
    });
    out.touched.push(old.id);
  }
  for (const gone of byKey.values()) {
    if (gone.state === "ARCHIVED") continue;
    const version = gone.version + 1;
    out.archives.push({ id: gone.id, version });
    const entry = { ...base, targetId: gone.id, version, kind: "ARCHIVE" as const };
    out.ledger.push({ ...entry, oldAmount: gone.amount, newAmount: 0n });
  }
  return out;
}
