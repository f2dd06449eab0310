import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildEscalationCard, escalationCardFixture } from "../../cards/escalation.ts";
import { escalationReason, missStreakText, raisedText } from "../../src/domain/escalation-reason.ts";
import { type ManagerLink, nextEscalationAddressee } from "../../src/domain/next-escalation-addressee.ts";

describe("the escalation reason", () => {
  it("weeks: 「连续2周未达标：W14 62%，W15 未填报」", () => {
    const misses = [
      { period: "2026-W14", target: 100_000n, actual: 62_000n },
      { period: "2026-W15", target: 100_000n, actual: null },
    ];
    expect(escalationReason(2, misses)).toBe("连续2周未达标：W14 62%，W15 未填报");
  });

  it("months and quarters count with 个: 「连续2个月未达标：4月 80%，5月 未填报」, 「连续3个季度未达标」", () => {
    const months = [
      { period: "2026-04", target: 500_000n, actual: 400_000n },
      { period: "2026-05", target: 500_000n, actual: null },
    ];
    expect(escalationReason(2, months)).toBe("连续2个月未达标：4月 80%，5月 未填报");
    expect(escalationReason(3, [{ period: "2026-Q2", target: 1n, actual: 0n }])).toBe("连续3个季度未达标：Q2 0%");
    expect(missStreakText(3, "QUARTER")).toBe("连续3个季度未达标");
  });

  it("the escalation card says the same", () => {
    const card = buildEscalationCard({
      ...escalationCardFixture,
      misses: [
        { period: "2026-04", target: 500_000n, actual: 400_000n },
        { period: "2026-05", target: 500_000n, actual: null },
      ],
    });
    expect(card.cardParamMap.reasonText).toBe("连续2个月未达标：4月 80%，5月 未填报");
    expect(card.cardParamMap.headline).toBe("李娜（华东）连续2个月未达标");
  });

  it("why it went up a level", () => {
    expect(raisedText({ kind: "OVERDUE", previousName: "李经理" })).toBe("李经理 2个工作日未处理，已上报");
    expect(raisedText({ kind: "MISSED_AGAIN", miss: { period: "2026-W16", target: 1n, actual: null } })).toBe(
      "W16 未填报，再次未达标，已上报",
    );
  });

  it("refuses a reason without any missed period", () => {
    expect(() => escalationReason(2, [])).toThrow(/至少需要一个/);
  });
});

const on = (userId: string): ManagerLink => ({ userId, active: true });
const off = (userId: string): ManagerLink => ({ userId, active: false });
const boss = { userId: "ceo", active: true };

/** Every addressee in turn until the ladder ends. */
function ladder(ownerId: string, chain: ManagerLink[], planOwner = boss): string[] {
  const addressed: string[] = [];
  for (let next = nextEscalationAddressee({ ownerId, chain, planOwner, addressed }); next; ) {
    expect(next.level).toBe(addressed.length + 1);
    addressed.push(next.userId);
    next = nextEscalationAddressee({ ownerId, chain, planOwner, addressed });
  }
  return addressed;
}

describe("the escalation ladder", () => {
  it("direct manager, director, then the plan owner, then nobody", () => {
    expect(ladder("rep", [on("mgr"), on("dir")])).toEqual(["mgr", "dir", "ceo"]);
    expect(
      nextEscalationAddressee({ ownerId: "rep", chain: [on("mgr")], planOwner: boss, addressed: ["mgr"] }),
    ).toEqual({
      userId: "ceo",
      level: 2,
      planOwner: true,
    });
  });

  it("skips inactive and missing managers", () => {
    expect(ladder("rep", [off("mgr"), null, on("dir")])).toEqual(["dir", "ceo"]);
  });

  it("skips the owner themself and stops at a plan owner already on the chain", () => {
    expect(ladder("rep", [on("rep"), on("dir"), on("ceo")])).toEqual(["dir", "ceo"]);
    expect(ladder("ceo", [on("dir")])).toEqual(["dir"]);
  });

  it("a chain that loops back ends instead of looping", () => {
    expect(ladder("rep", [on("mgr"), on("dir"), on("mgr"), on("dir")])).toEqual(["mgr", "dir", "ceo"]);
  });

  it("an inactive plan owner ends the ladder at the top of the chain", () => {
    expect(ladder("rep", [on("mgr")], { userId: "ceo", active: false })).toEqual(["mgr"]);
  });

  it("never goes back down a chain that changed mid-escalation", () => {
    const next = nextEscalationAddressee({
      ownerId: "rep",
      chain: [on("newmgr"), on("dir"), on("vp")],
      planOwner: boss,
      addressed: ["oldmgr", "dir"],
    });
    expect(next).toEqual({ userId: "vp", level: 3, planOwner: false });
  });

  it("any chain: each person at most once, never the owner, only active people, ends within chain + 1 steps", () => {
    const ids = fc.constantFrom<string>("rep", "a", "b", "c", "d", "ceo");
    const link = fc.option(fc.record({ userId: ids, active: fc.boolean() }), { nil: null });
    fc.assert(
      fc.property(fc.array(link, { maxLength: 12 }), fc.boolean(), (chain, ownerActive) => {
        const planOwner = { userId: "ceo", active: ownerActive };
        const got = ladder("rep", chain, planOwner);
        expect(new Set(got).size).toBe(got.length);
        expect(got).not.toContain("rep");
        expect(got.length).toBeLessThanOrEqual(chain.length + 1);
        const active = new Set<string>(chain.flatMap((l) => (l?.active ? [l.userId] : [])));
        if (ownerActive) active.add("ceo");
        for (const id of got) expect(active.has(id)).toBe(true);
      }),
    );
  });
});
