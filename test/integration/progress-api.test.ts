import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

let svc: TestService;
let planId: string;
const post = (body: unknown) =>
  svc.api("/api/progress", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const progress = async (period: string) => {
  const res = await svc.api(`/api/plans/${planId}/progress?period=${period}`);
  return {
    status: res.status,
    body: (await res.json()) as {
      owners: Record<string, unknown>[];
      reported: number;
      total: number;
      error?: { message: string };
    },
  };
};
const entriesCount = async () =>
  Number((await svc.db.sql.query<{ n: bigint }>("SELECT count(*) AS n FROM progress_entry"))[0]?.n);

beforeAll(async () => {
  svc = await startTestService();
  ({ planId } = await seedDemo(svc.db, svc.deps.calendar));
  // Publishing sends cards through the outbox; here only the state matters.
  await svc.db.sql.query("UPDATE plan SET status = 'PUBLISHED' WHERE id = $1", [planId]);
}, 120_000);
afterAll(() => svc.close());

describe("POST /api/progress and GET /api/plans/:id/progress", () => {
  it("imports actuals and reports target, actual, attainment and who reported, per owner", async () => {
    const res = await post({ entries: [{ userId: "r11001", planId, period: "2026-W14", amount: 100_000 }] });
    expect(await res.json()).toEqual({ created: 1, unchanged: 0, evaluated: [] });
    const { body } = await progress("2026-W14");
    expect(body.total).toBe(133); // 134 leaves; one 西北 rep owns two
    expect(body.reported).toBe(1);
    const li = body.owners.find((o) => o.userId === "r11001")!;
    expect(li).toMatchObject({ name: "李娜", actual: "100000", reported: true, source: "IMPORT" });
    expect(BigInt(li.target as string)).toBeGreaterThan(0n);
    expect(li.attainment).toBeCloseTo(100_000 / Number(li.target), 3);
    const other = body.owners.find((o) => o.userId === "r11002")!;
    expect(other).toMatchObject({ actual: null, attainment: null, reported: false });
  });

  it("the weeks' targets of a person add up to their annual amount (expected by working days)", async () => {
    const leaves = await svc.db.prisma.target.findMany({
      where: { planId, ownerUserId: "r14001", dimension: "OWNER" },
    });
    const annual = leaves.reduce((a, t) => a + t.amount, 0n);
    let sum = 0n;
    for (let w = 1; w <= 53; w++) {
      const { body } = await progress(`2026-W${String(w).padStart(2, "0")}`);
      sum += BigInt(body.owners.find((o) => o.userId === "r14001")!.target as string);
    }
    expect(sum).toBe(annual);
  });

  it("a retried import changes nothing; a correction wins; IMPORT outranks a self-report; all are kept", async () => {
    const entry = { userId: "r11003", planId, period: "2026-W15", amount: 50_000 };
    await post({ entries: [entry] });
    const before = await entriesCount();
    expect(await (await post({ entries: [entry] })).json()).toEqual({ created: 0, unchanged: 1, evaluated: [] });
    expect(await entriesCount()).toBe(before);
    await post({ entries: [{ ...entry, amount: 350_000, source: "SELF_REPORT" }] });
    const row = async () => (await progress("2026-W15")).body.owners.find((o) => o.userId === "r11003")!;
    expect(await row()).toMatchObject({ actual: "50000", source: "IMPORT" });
    await post({ entries: [{ ...entry, amount: 60_000 }] });
    expect(await row()).toMatchObject({ actual: "60000", source: "IMPORT" });
    expect(await entriesCount()).toBe(before + 2);
  });

  describe("bad input: a clear 400 naming each entry, and nothing written", () => {
    let before: number;
    beforeEach(async () => {
      before = await entriesCount();
    });
    const rejected = async (body: unknown, message: RegExp, field?: string) => {
      const res = await post(body);
      const json = (await res.json()) as { error: { message: string; details?: { field: string; message: string }[] } };
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(`${json.error.message} ${JSON.stringify(json.error.details)}`).toMatch(message);
      if (field) expect(json.error.details?.map((d) => d.field)).toContain(field);
      expect(await entriesCount()).toBe(before);
    };
    it("unknown plan, a person without a target, a period of the wrong cadence or year, all at once", async () => {
      await rejected(
        {
          entries: [
            { userId: "r11001", planId, period: "2026-W16", amount: 1 },
            { userId: "r11001", planId: "nope", period: "2026-W16", amount: 1 },
            { userId: "ops1", planId, period: "2026-W16", amount: 1 },
            { userId: "r11001", planId, period: "2026-04", amount: 1 },
            { userId: "r11001", planId, period: "2025-W16", amount: 1 },
            { userId: "r11001", planId, period: "W16", amount: 1 },
          ],
        },
        /计划 nope 不存在.*ops1 在计划.*没有目标.*2026 年的周.*2025-W16.*“W16”无效/,
        "entries.2.userId",
      );
    });
    it("negative, fractional or text amounts, and an empty list", async () => {
      await rejected(
        { entries: [{ userId: "r11001", planId, period: "2026-W16", amount: -5 }] },
        /负数/,
        "entries.0.amount",
      );
      await rejected({ entries: [{ userId: "r11001", planId, period: "2026-W16", amount: 1.5 }] }, /整数/);
      await rejected({ entries: [{ userId: "r11001", planId, period: "2026-W16", amount: "35万" }] }, /不是整数金额/);
      await rejected({ entries: [] }, /entries 不能为空/);
    });
    it("a plan that is not published yet", async () => {
      await svc.db.sql.query("UPDATE plan SET status = 'DRAFT' WHERE id = $1", [planId]);
      try {
        await rejected({ entries: [{ userId: "r11001", planId, period: "2026-W16", amount: 1 }] }, /尚未发布/);
      } finally {
        await svc.db.sql.query("UPDATE plan SET status = 'PUBLISHED' WHERE id = $1", [planId]);
      }
    });
    it("the progress view refuses a bad period", async () => {
      expect((await progress("2026-04")).status).toBe(400);
      expect((await progress("garbage")).body.error?.message).toMatch(/无效/);
    });
  });
});
