/*
 * The escalation ladder (docs/domain.md "Evaluation and escalation"): who gets an escalation next. Pure: the
 * flow reads the owner's manager chain from staff and keeps the people already addressed with the escalation.
 */

/** One step of a manager chain; null where a manager id points at nobody (a missing record). */
export type ManagerLink = { userId: string; active: boolean } | null;

export interface Addressee {
  userId: string;
  /** 1 for the first person to get the escalation, 2 for the next, … — the escalation's level. */
  level: number;
  /** True when this is the plan owner after the chain ran out: there is nobody above. */
  planOwner: boolean;
}

/**
 * The next person up the ladder: the first active manager in `chain` (the owner's direct manager first, then
 * theirs, …) above everyone already `addressed`, skipping the owner themself, inactive and missing managers and
 * anyone addressed before; when the chain has nobody left, the plan owner; null when the plan owner has had it
 * too (or is the owner, or inactive): the ladder ends there.
 *
 * Never loops: each answer is someone not yet addressed, so a chain that cycles back (A manages B manages A)
 * or repeats a person only shortens the ladder. "Above" is measured from the highest addressed person still
 * in the chain, so a chain changed mid-escalation never sends it back down to someone below.
 */
export function nextEscalationAddressee(a: {
  ownerId: string;
  chain: readonly ManagerLink[];
  planOwner: { userId: string; active: boolean };
  addressed: readonly string[];
}): Addressee | null {
  const addressed = new Set(a.addressed);
  const level = addressed.size + 1;
  const highest = a.chain.reduce((top, link, i) => (link !== null && addressed.has(link.userId) ? i : top), -1);
  const eligible = (p: { userId: string; active: boolean }) =>
    p.active && p.userId !== a.ownerId && !addressed.has(p.userId);
  for (const link of a.chain.slice(highest + 1)) {
    if (link !== null && eligible(link)) return { userId: link.userId, level, planOwner: false };
  }
  return eligible(a.planOwner) ? { userId: a.planOwner.userId, level, planOwner: true } : null;
}
