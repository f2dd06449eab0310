import { describe, expect, it } from "vitest";
import { stepInApprover, workdaysPending } from "../../src/domain/approval-step-due.ts";
import { defaultCalendar as cal } from "../../src/domain/calendar.ts";

describe("workdays a pending approval step has waited", () => {
  it("counts the workdays after the day it became pending, through today", () => {
    expect(workdaysPending("2026-04-13", "2026-04-13", cal)).toBe(0); // Monday, the same day
    expect(workdaysPending("2026-04-13", "2026-04-14", cal)).toBe(1); // Monday → Tuesday
    expect(workdaysPending("2026-04-17", "2026-04-20", cal)).toBe(1); // Friday → Monday
    expect(workdaysPending("2026-04-15", "2026-04-20", cal)).toBe(3); // Wednesday → Monday
  });

  it("holidays do not count: Thursday 04-30 → 0 on the May Day holiday, 1 on Wednesday 05-06, 3 on Friday 05-08", () => {
    expect(workdaysPending("2026-04-30", "2026-05-05", cal)).toBe(0);
    expect(workdaysPending("2026-04-30", "2026-05-06", cal)).toBe(1);
    expect(workdaysPending("2026-04-30", "2026-05-08", cal)).toBe(3);
  });
});

describe("who a step left 3 workdays moves up to", () => {
  const base = {
    requesterId: "rep",
    ownerId: "rep",
    planOwner: { userId: "owner", active: true },
    taken: ["mgr"],
  };
  const active = (userId: string) => ({ userId, active: true });

  it("the approver's own manager, first active one up the chain", () => {
    expect(stepInApprover({ ...base, approverChain: [active("dir"), active("vp")] })).toBe("dir");
    expect(stepInApprover({ ...base, approverChain: [null, { userId: "dir", active: false }, active("vp")] })).toBe(
      "vp",
    );
  });

  it("skips the requester, the target's owner and anyone already on the request", () => {
    const chain = [active("rep"), active("mgr"), active("dir"), active("vp")];
    expect(stepInApprover({ ...base, approverChain: chain, taken: ["mgr", "dir"] })).toBe("vp");
    expect(stepInApprover({ ...base, requesterId: "vp", approverChain: chain, taken: ["mgr", "dir"] })).toBe("owner");
  });

  it("the plan owner when the chain has nobody; nobody when the plan owner cannot take it either", () => {
    expect(stepInApprover({ ...base, approverChain: [] })).toBe("owner");
    expect(stepInApprover({ ...base, approverChain: [], planOwner: { userId: "owner", active: false } })).toBeNull();
    expect(stepInApprover({ ...base, approverChain: [], taken: ["mgr", "owner"] })).toBeNull();
    expect(stepInApprover({ ...base, approverChain: [], requesterId: "owner" })).toBeNull();
  });
});
