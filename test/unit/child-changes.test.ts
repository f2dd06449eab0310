import { describe, expect, it } from "vitest";
import type { Target } from "../../src/generated/prisma/client.ts";
import { childChanges, type LockedParent } from "../../src/plans/child-changes.ts";
import { ZSplitRequest } from "../../src/plans/plan-input.ts";

const parent: LockedParent = {
  id: "p",
  planId: "plan",
  label: "华东",
  depth: 1,
  amount: 300n,
  state: "DRAFT",
  splitDimension: "OWNER",
};

/** A stored child as Prisma returns it, with its co-owners. */
function child(key: string, amount: bigint, over: Partial<Target> = {}) {
  return {
    id: `id-${key}`,
    planId: "plan",
    parentId: "p",
    dimension: "OWNER",
    key,
    label: key,
    depth: 2,
    amount,
    version: 1,
    state: "DRAFT",
    locked: false,
    weight: null,
    lastYear: null,
    growth: null,
    ownerUserId: key,
    coOwners: [] as { userId: string }[],
    ...over,
  } as Target & { coOwners: { userId: string }[] };
}

const request = ZSplitRequest.parse({
  parentTargetId: "p",
  dimension: "OWNER",
  method: "EQUAL",
  reason: "调整",
  children: [{ key: "a" }, { key: "b" }, { key: "c" }],
});
const resolved = ["a", "b", "c"].map((key) => ({ key, label: key, ownerUserId: key, coOwnerUserIds: [] }));

describe("childChanges (what re-splitting a parent changes, without the database)", () => {
  it("keeps an unchanged child, versions a changed one, creates a new key, archives a key no longer given", () => {
    const existing = [child("a", 100n), child("b", 100n), child("gone", 100n, { version: 2 })];
    const c = childChanges({
      parent,
      existing,
      request,
      resolved,
      amounts: [100n, 150n, 50n],
      actor: "admin",
      newId: () => "new-c",
    });
    expect(c.updates).toEqual([
      {
        id: "id-b",
        data: expect.objectContaining({ amount: 150n, version: 2, state: "DRAFT" }),
        coOwnerUserIds: [],
      },
    ]);
    expect(c.creates.map((t) => [t.id, t.key, t.amount, t.depth])).toEqual([["new-c", "c", 50n, 2]]);
    expect(c.archives).toEqual([{ id: "id-gone", version: 3 }]);
    expect(c.ledger.map((l) => [l.targetId, l.kind, l.version, l.oldAmount ?? null, l.newAmount])).toEqual([
      ["id-b", "SPLIT", 2, 100n, 150n],
      ["new-c", "SPLIT", 1, null, 50n],
      ["id-gone", "ARCHIVE", 3, 100n, 0n],
    ]);
    expect(c.ledger.every((l) => l.reason === "调整" && l.actor === "admin")).toBe(true);
    expect(c.touched).toEqual(["id-b", "new-c"]);
  });

  it("brings an archived key back as a new version, and leaves archived children that stay gone alone", () => {
    const existing = [
      child("a", 100n, { state: "ARCHIVED", version: 3 }),
      child("b", 150n),
      child("c", 50n),
      child("old", 0n, { state: "ARCHIVED" }),
    ];
    const c = childChanges({ parent, existing, request, resolved, amounts: [100n, 150n, 50n], actor: "admin" });
    expect(c.updates.map((u) => [u.id, u.data.version])).toEqual([["id-a", 4]]);
    expect(c.ledger[0]?.changes).toEqual({ state: ["ARCHIVED", "DRAFT"] });
    expect(c.creates).toEqual([]);
    expect(c.archives).toEqual([]);
  });
});
