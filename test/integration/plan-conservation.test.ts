import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findConservationViolations, type PlanConservationViolation } from "../../src/plans/check-plan-conservation.ts";
import { planSnapshot } from "../helpers/plan-snapshot.ts";
import { createSmallPlan, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/**
 * The production conservation check shown to fail: the database is corrupted behind the service's back (raw
 * SQL, as a bad migration or a manual fix might), and each corruption must be reported by the check itself,
 * by readiness over HTTP and by a refused publish over HTTP.
 */
let svc: TestService;
let plan: SmallPlan;

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false } });
  plan = await createSmallPlan(svc);
}, 120_000);
afterAll(() => svc?.close());

const sql = (text: string, params: unknown[] = []) => svc.db.sql.query<Record<string, unknown>>(text, params);
const leafAmount = async (id: string) =>
  BigInt(String((await sql("SELECT amount FROM target WHERE id = $1", [id]))[0]?.amount));

/** One expected violation (labels are the targets' own: the plan name, a rep's name). */
const violation = (
  kind: PlanConservationViolation["kind"],
  targetId: string,
  expected: bigint | string,
  actual: bigint | string,
  months: number | null = null,
) => ({ kind, targetId, label: expect.any(String), expected: String(expected), actual: String(actual), months });

/** What each of the three ways of asking says about the plan right now. */
async function report() {
  const direct = await svc.db.prisma.$transaction((tx) => findConservationViolations(tx, plan.planId));
  const readiness = (await (await svc.api(`/api/plans/${plan.planId}/readiness`)).json()) as {
    conserved: boolean;
    ready: boolean;
    conservation: PlanConservationViolation[];
  };
  const res = await svc.api(`/api/plans/${plan.planId}/publish`, { method: "POST" });
  const body = (await res.json()) as { error?: { details?: { conservation: PlanConservationViolation[] } } };
  await svc.dingtalk!.outbox.drain();
  return { direct, readiness, publish: { status: res.status, body } };
}

/** Asserts every way of asking reports exactly `expected`, and that the refused publish wrote and sent nothing. */
async function expectReported(expected: PlanConservationViolation[]) {
  const before = await planSnapshot(svc.db);
  const { direct, readiness, publish } = await report();
  expect(direct).toEqual(expected);
  expect(readiness).toMatchObject({ conserved: false, ready: false, conservation: expected });
  expect(publish.status).toBe(409);
  expect(publish.body.error?.details?.conservation).toEqual(expected);
  expect(await planSnapshot(svc.db)).toEqual(before);
  expect(svc.deps.emulator!.listCards()).toEqual([]);
}

describe("the production conservation check, on a corrupted database", () => {
  it("an intact plan is conserved (the baseline the corruptions below depart from)", async () => {
    expect(await svc.db.prisma.$transaction((tx) => findConservationViolations(tx, plan.planId))).toEqual([]);
    const readiness = (await (await svc.api(`/api/plans/${plan.planId}/readiness`)).json()) as object;
    expect(readiness).toMatchObject({ conserved: true, ready: true, conservation: [] });
  });

  it("a child's amount changed with raw SQL: its parent's children and its own months no longer add up", async () => {
    const [leaf] = plan.leafIds;
    const amount = await leafAmount(leaf!);
    await sql("UPDATE target SET amount = amount + 7 WHERE id = $1", [leaf]);
    try {
      await expectReported([
        violation("CHILDREN", plan.rootTargetId, "15600000", "15600007"),
        violation("MONTHS", leaf!, amount + 7n, amount, 12),
      ]);
    } finally {
      await sql("UPDATE target SET amount = amount - 7 WHERE id = $1", [leaf]);
    }
  });

  it("one month's amount changed with raw SQL: the leaf's 12 months no longer sum to its amount", async () => {
    const leaf = plan.leafIds[1]!;
    const amount = await leafAmount(leaf);
    await sql("UPDATE target_month_amounts SET amounts[3] = amounts[3] - 5 WHERE target_id = $1", [leaf]);
    try {
      await expectReported([violation("MONTHS", leaf, amount, amount - 5n, 12)]);
    } finally {
      await sql("UPDATE target_month_amounts SET amounts[3] = amounts[3] + 5 WHERE target_id = $1", [leaf]);
    }
  });

  it("a month array of other than 12 amounts, or with a NULL, is refused by the table itself", async () => {
    const leaf = plan.leafIds[1]!;
    const before = await planSnapshot(svc.db);
    for (const change of [
      "amounts[1:11]",
      "amounts || 0::bigint",
      "'{}'::bigint[]",
      "NULL",
      "'[0:11]={1,2,3,4,5,6,7,8,9,10,11,12}'::bigint[]",
    ])
      await expect(
        sql(`UPDATE target_month_amounts SET amounts = ${change} WHERE target_id = $1`, [leaf]),
      ).rejects.toThrow(/target_month_amounts_twelve/);
    await expect(sql("UPDATE target_month_amounts SET amounts[5] = NULL WHERE target_id = $1", [leaf])).rejects.toThrow(
      /target_month_amounts_twelve/,
    );
    expect(await planSnapshot(svc.db)).toEqual(before);
  });

  it("a leaf left without any month after the plan was phased is reported", async () => {
    const leaf = plan.leafIds[2]!;
    const amount = await leafAmount(leaf);
    const [row] = await sql("DELETE FROM target_month_amounts WHERE target_id = $1 RETURNING amounts::text", [leaf]);
    expect(row?.amounts).toMatch(/^\{(\d+,){11}\d+\}$/);
    try {
      await expectReported([violation("MONTHS", leaf, amount, "0", 0)]);
    } finally {
      await sql("INSERT INTO target_month_amounts (target_id, amounts) VALUES ($1, $2::bigint[])", [
        leaf,
        row?.amounts,
      ]);
    }
  });

  it("the plan total changed with raw SQL: the root no longer equals it", async () => {
    await sql("UPDATE plan SET total = total - 1 WHERE id = $1", [plan.planId]);
    try {
      await expectReported([violation("ROOT", plan.rootTargetId, "15599999", "15600000")]);
    } finally {
      await sql("UPDATE plan SET total = total + 1 WHERE id = $1", [plan.planId]);
    }
  });

  it("after every repair the plan is conserved again and publishes", async () => {
    const res = await svc.api(`/api/plans/${plan.planId}/publish`, { method: "POST" });
    expect(res.status, await res.clone().text()).toBe(200);
  });
});

describe("a plan not yet phased", () => {
  it("is conserved: its leaves without months are NOT_PHASED problems, not conservation violations", async () => {
    const unphased = await createSmallPlan(svc, { phase: false });
    const readiness = (await (await svc.api(`/api/plans/${unphased.planId}/readiness`)).json()) as {
      conserved: boolean;
      problems: { targetId: string; problem: string }[];
    };
    expect(readiness.conserved).toBe(true);
    expect(
      readiness.problems
        .filter((p) => p.problem === "NOT_PHASED")
        .map((p) => p.targetId)
        .sort(),
    ).toEqual([...unphased.leafIds].sort());
  });
});
