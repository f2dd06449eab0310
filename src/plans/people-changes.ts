import type { Tx } from "../db/database.ts";

/** Who is responsible for a target: its owner and co-owners. */
export interface TargetPeople {
  ownerUserId: string | null;
  coOwnerUserIds: readonly string[];
}

/** The ledger's `{ field: [old, new] }` for the people of a target; empty when nobody changed. */
export function peopleChanges(old: TargetPeople, next: TargetPeople): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  if (old.ownerUserId !== next.ownerUserId) changes.ownerUserId = [old.ownerUserId, next.ownerUserId];
  const before = [...old.coOwnerUserIds].sort();
  if (before.join() !== [...next.coOwnerUserIds].sort().join()) {
    changes.coOwnerUserIds = [before, [...next.coOwnerUserIds]];
  }
  return changes;
}

/** Replaces a target's co-owners with `userIds`. */
export async function replaceCoOwners(tx: Tx, targetId: string, userIds: readonly string[]): Promise<void> {
  await tx.targetCoOwner.deleteMany({ where: { targetId } });
  await tx.targetCoOwner.createMany({ data: userIds.map((userId) => ({ targetId, userId })) });
}
