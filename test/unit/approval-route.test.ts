import { describe, expect, it } from "vitest";
import { approvalSteps, approvalTier } from "../../src/domain/approval-route.ts";
import type { ManagerLink } from "../../src/domain/next-escalation-addressee.ts";
import { catchValidation } from "./validation-helpers.ts";

const tier = (currentAmount: bigint, proposedAmount: bigint, thresholds?: number[]) =>
  approvalTier({ currentAmount, proposedAmount, changesPlanTotal: false, thresholds });

describe("approvalTier", () => {
  it("is 1 up to exactly 5 %, 2 up to exactly 15 %, 3 above — both signs", () => {
    expect(tier(1_000_000n, 1_050_000n)).toBe(1);
    expect(tier(1_000_000n, 950_000n)).toBe(1);
    expect(tier(1_000_000n, 1_050_001n)).toBe(2);
    expect(tier(1_000_000n, 949_999n)).toBe(2);
    expect(tier(1_000_000n, 1_150_000n)).toBe(2);
    expect(tier(1_000_000n, 850_000n)).toBe(2);
    expect(tier(1_000_000n, 1_150_001n)).toBe(3);
    expect(tier(1_000_000n, 849_999n)).toBe(3);
    expect(tier(1_000_000n, 0n)).toBe(3);
  });

  it("compares exactly where a float would not: 5 % of 3 is 0.15, so a change of 1 is above it", () => {
    expect(tier(20n, 21n)).toBe(1);
    expect(tier(3n, 2n)).toBe(3);
    // 10^22-sized amounts stay exact.
    expect(tier(10n ** 22n, 10n ** 22n + 5n * 10n ** 20n)).toBe(1);
    expect(tier(10n ** 22n, 10n ** 22n + 5n * 10n ** 20n + 1n)).toBe(2);
  });

  it("any change of the plan total is tier 3, however small", () => {
    expect(approvalTier({ currentAmount: 1_000_000n, proposedAmount: 999_999n, changesPlanTotal: true })).toBe(3);
  });

  it("a current amount of 0 makes any change tier 3", () => {
    expect(tier(0n, 1n)).toBe(3);
  });

  it("follows the plan's thresholds, fractional ones exactly", () => {
    expect(tier(1_000n, 1_080n, [10, 20])).toBe(1);
    expect(tier(1_000n, 1_025n, [2.5, 7.5])).toBe(1);
    expect(tier(1_000n, 1_026n, [2.5, 7.5])).toBe(2);
    expect(tier(1_000n, 1_076n, [2.5, 7.5])).toBe(3);
    expect(tier(1_000n, 0n, [5, 100])).toBe(2);
  });

  it("refuses bad thresholds and amounts with a clear message", () => {
    expect(catchValidation(() => tier(1n, 2n, [15, 5])).message).toContain("第一个阈值（15）必须小于第二个（5）");
    expect(catchValidation(() => tier(1n, 2n, [5, 5])).message).toContain("审批阈值设置无效");
    expect(catchValidation(() => tier(1n, 2n, [0, 15])).message).toContain("0 不在 (0, 100] 之内");
    expect(catchValidation(() => tier(1n, 2n, [5, 101])).problems[0]?.field).toBe("approvalThresholds");
    expect(catchValidation(() => tier(1n, 2n, [5, Number.NaN])).message).toContain("NaN");
    expect(catchValidation(() => tier(1n, 2n, [5])).message).toContain("必须恰好两个数");
    expect(catchValidation(() => tier(-1n, 2n)).problems[0]?.field).toBe("currentAmount");
    expect(catchValidation(() => tier(1n, -2n)).message).toContain("申请的目标金额必须是非负整数");
    expect(catchValidation(() => tier(7n, 7n)).message).toBe("申请的目标与当前目标相同，无需调整");
  });
});

const on = (userId: string): ManagerLink => ({ userId, active: true });
const off = (userId: string): ManagerLink => ({ userId, active: false });
const planOwner = { userId: "boss", active: true };
const route = (chain: ManagerLink[], t: 1 | 2 | 3, more: { requesterId?: string; planOwner?: typeof planOwner } = {}) =>
  approvalSteps({
    requesterId: more.requesterId ?? "rep",
    ownerId: "rep",
    chain,
    planOwner: more.planOwner ?? planOwner,
    tier: t,
  });

describe("approvalSteps", () => {
  it("tier 1 is the direct manager, tier 2 adds the director, tier 3 ends with the plan owner", () => {
    const chain = [on("mgr"), on("dir"), on("vp")];
    expect(route(chain, 1)).toEqual({
      steps: [{ level: 1, userId: "mgr", role: "MANAGER" }],
      skipped: [],
      complete: true,
    });
    expect(route(chain, 2).steps.map((s) => [s.userId, s.role])).toEqual([
      ["mgr", "MANAGER"],
      ["dir", "DIRECTOR"],
    ]);
    expect(route(chain, 3)).toEqual({
      steps: [
        { level: 1, userId: "mgr", role: "MANAGER" },
        { level: 2, userId: "dir", role: "DIRECTOR" },
        { level: 3, userId: "boss", role: "PLAN_OWNER" },
      ],
      skipped: [],
      complete: true,
    });
  });

  it("skips the requester, the inactive and the missing to the next level up, saying why", () => {
    const r = approvalSteps({
      requesterId: "mgr",
      ownerId: "rep",
      chain: [on("mgr"), null, off("dir"), on("vp"), on("svp")],
      planOwner,
      tier: 2,
    });
    expect(r.steps.map((s) => s.userId)).toEqual(["vp", "svp"]);
    expect(r.skipped).toEqual([
      { userId: "mgr", reason: "申请人本人", level: 1 },
      { userId: null, reason: "人员不存在", level: 1 },
      { userId: "dir", reason: "已离职或停用", level: 1 },
    ]);
    expect(r.complete).toBe(true);
  });

  it("never loops on a cycling chain and never asks anyone twice", () => {
    // rep → mgr → rep → mgr → …: the owner and the repeated manager are skipped, the plan owner closes the route.
    const r = route([on("mgr"), on("rep"), on("mgr"), on("rep")], 2);
    expect(r.steps.map((s) => [s.userId, s.role])).toEqual([
      ["mgr", "MANAGER"],
      ["boss", "PLAN_OWNER"],
    ]);
    expect(r.skipped.map((s) => s.reason)).toEqual(["申请人本人", "已是前一审批人", "申请人本人"]);
    expect(r.complete).toBe(true);
  });

  it("a chain that cycles back to the owner skips the owner even when someone else asked", () => {
    const r = route([on("mgr"), on("rep"), on("dir")], 2, { requesterId: "mgr" });
    expect(r.steps.map((s) => s.userId)).toEqual(["dir", "boss"]);
    expect(r.skipped.map((s) => s.reason)).toEqual(["申请人本人", "目标负责人本人"]);
  });

  it("the plan owner who already approved as director is not asked again; the route is complete", () => {
    const r = route([on("mgr"), on("boss")], 3);
    expect(r.steps.map((s) => s.userId)).toEqual(["mgr", "boss"]);
    expect(r.skipped).toEqual([{ userId: "boss", reason: "已是前一审批人", level: 3 }]);
    expect(r.complete).toBe(true);
  });

  it("the plan owner stands in when the chain runs out; nobody at all → incomplete", () => {
    expect(route([], 1)).toEqual({
      steps: [{ level: 1, userId: "boss", role: "PLAN_OWNER" }],
      skipped: [],
      complete: true,
    });
    const nobody = route([off("mgr")], 1, { planOwner: { userId: "boss", active: false } });
    expect(nobody.steps).toEqual([]);
    expect(nobody.complete).toBe(false);
    expect(nobody.skipped.map((s) => s.reason)).toEqual(["已离职或停用", "已离职或停用"]);
  });

  it("an inactive plan owner leaves tier 3 incomplete; a requesting plan owner has consented", () => {
    const gone = route([on("mgr"), on("dir")], 3, { planOwner: { userId: "boss", active: false } });
    expect(gone.steps.map((s) => s.userId)).toEqual(["mgr", "dir"]);
    expect(gone.complete).toBe(false);
    const asks = approvalSteps({
      requesterId: "boss",
      ownerId: "rep",
      chain: [on("mgr"), on("dir")],
      planOwner,
      tier: 3,
    });
    expect(asks.steps.map((s) => s.userId)).toEqual(["mgr", "dir"]);
    expect(asks.skipped).toEqual([{ userId: "boss", reason: "申请人本人", level: 3 }]);
    expect(asks.complete).toBe(true);
    // But a plan owner alone never approves their own request: no step → incomplete.
    expect(approvalSteps({ requesterId: "boss", ownerId: "rep", chain: [], planOwner, tier: 1 }).complete).toBe(false);
  });

  it("refuses a tier other than 1, 2 or 3", () => {
    expect(catchValidation(() => route([], 4 as 3)).message).toContain("审批级数必须是 1、2 或 3");
  });
});
