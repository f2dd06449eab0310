import ExcelJS from "exceljs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import { findConservationViolations } from "../../src/plans/check-plan-conservation.ts";
import { planSnapshot } from "../helpers/plan-snapshot.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

let svc: TestService;
let planId: string;

beforeAll(async () => {
  svc = await startTestService();
  ({ planId } = await seedDemo(svc.db, svc.deps.calendar));
}, 120_000);
afterAll(() => svc.close());

/** The production conservation check (the one writes, readiness and publishing use) over the whole plan. */
const violations = () => svc.db.prisma.$transaction((tx) => findConservationViolations(tx, planId));

describe("the demo company (reference case)", () => {
  it("is 150 people and a 1.8亿 plan down to person × month, conserved at every level in the database", async () => {
    expect(await svc.db.prisma.staff.count()).toBe(150);
    const plan = await svc.db.prisma.plan.findUniqueOrThrow({ where: { id: planId } });
    expect(plan.total).toBe(180_000_000n);
    expect(await violations()).toEqual([]);
    const levels = await svc.db.sql.query<{ depth: number; dimension: string | null; n: bigint }>(
      "SELECT depth, dimension::text, count(*) AS n FROM target WHERE plan_id = $1 GROUP BY 1, 2 ORDER BY 1",
      [planId],
    );
    expect(levels.map((l) => [l.depth, l.dimension, Number(l.n)])).toEqual([
      [0, null, 1],
      [1, "REGION", 5],
      [2, "PRODUCT_LINE", 20],
      [3, "CHANNEL", 40],
      [4, "CUSTOMER_SEGMENT", 80],
      [5, "OWNER", 134],
    ]);
    const months = await svc.db.sql.query<{ n: bigint }>(
      "SELECT count(*) AS n FROM target_month m JOIN target t ON t.id = m.target_id WHERE t.plan_id = $1",
      [planId],
    );
    expect(months[0]?.n).toBe(134n * 12n);
    // Every rep owns at least one leaf, with their manager as co-owner: nothing stands in the way of publishing.
    const readiness = (await (await svc.api(`/api/plans/${planId}/readiness`)).json()) as { ready: boolean };
    expect(readiness.ready).toBe(true);
    // 华东 grows most: its share of 1.8亿 is above its 35 % share of 2025.
    const east = await svc.db.prisma.target.findFirstOrThrow({ where: { planId, dimension: "REGION", key: "11" } });
    expect(Number(east.amount) / 180_000_000).toBeGreaterThan(0.35);
  });

  it("the conservation check catches any target changed behind the service's back, above it and below it", async () => {
    const targets = await svc.db.sql.query<{ id: string; parent_id: string; leaf: boolean }>(
      `SELECT t.id, t.parent_id, NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id) AS leaf
         FROM target t WHERE t.plan_id = $1 AND t.parent_id IS NOT NULL ORDER BY t.id`,
      [planId],
    );
    const rollback = new Error("roll back");
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), fc.bigInt({ min: 1n, max: 10n ** 6n }), async (t, delta) => {
        let found: { kind: string; targetId: string }[] = [];
        await expect(
          svc.db.prisma.$transaction(async (tx) => {
            await tx.$executeRawUnsafe("UPDATE target SET amount = amount + $2::int8 WHERE id = $1", t.id, delta);
            found = await findConservationViolations(tx, planId);
            throw rollback;
          }),
        ).rejects.toBe(rollback);
        // Its parent no longer adds up, and neither does what lies below it: its children's sum, or (a leaf)
        // its months — a parent's months were dropped when it was split.
        const expected = [`CHILDREN ${t.parent_id}`, t.leaf ? `MONTHS ${t.id}` : `CHILDREN ${t.id}`];
        expect(found.map((v) => `${v.kind} ${v.targetId}`).sort()).toEqual(expected.sort());
      }),
      { numRuns: 40 },
    );
    expect(await violations()).toEqual([]);
  });

  it("seeding again changes nothing", async () => {
    const before = await planSnapshot(svc.db);
    expect(await seedDemo(svc.db)).toEqual({ planId, created: false });
    expect(await planSnapshot(svc.db)).toEqual(before);
  });
});

describe("Excel round trip", () => {
  async function exportWorkbook(): Promise<ExcelJS.Workbook> {
    const res = await svc.api(`/api/plans/${planId}/export.xlsx`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/spreadsheetml/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    return wb;
  }
  const importWorkbook = async (wb: ExcelJS.Workbook) =>
    svc.api(`/api/plans/${planId}/import`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", "x-reason": encodeURIComponent("季度复盘调整") },
      body: Buffer.from(await wb.xlsx.writeBuffer()),
    });
  /** Rows of one segment target's reps (siblings under one parent), by column letter. */
  function siblingRows(ws: ExcelJS.Worksheet): ExcelJS.Row[] {
    const byParent = new Map<string, ExcelJS.Row[]>();
    ws.eachRow((r, n) => {
      if (n > 1 && r.getCell(5).text === "负责人")
        byParent.set(r.getCell(2).text, [...(byParent.get(r.getCell(2).text) ?? []), r]);
    });
    return [...byParent.values()].find((rows) => rows.length >= 3)!;
  }
  type Problem = { sheet?: string; cell?: string; message: string };
  const problemsOf = async (res: Response) => ((await res.json()) as { error: { details: Problem[] } }).error.details;

  it("an unchanged export imports with no change at all", async () => {
    const before = await planSnapshot(svc.db);
    const res = await importWorkbook(await exportWorkbook());
    expect(await res.json()).toEqual({ changed: 0, targets: [] });
    expect(await planSnapshot(svc.db)).toEqual(before);
  });

  it("rejects broken edits with sheet and cell references, writing nothing", async () => {
    const before = await planSnapshot(svc.db);
    const cases: [string, (ws: ExcelJS.Worksheet, rows: ExcelJS.Row[]) => void, RegExp, RegExp][] = [
      [
        "conservation",
        (_ws, [a]) => {
          a!.getCell(10).value = Number(a!.getCell(10).value) + 1000;
        },
        /^J\d+$/,
        /≠ 子目标合计.*差/,
      ],
      [
        "text in an amount cell",
        (_ws, [a]) => {
          a!.getCell(10).value = "420万";
        },
        /^J\d+$/,
        /不是数字/,
      ],
      [
        "a formula",
        (_ws, [a, b]) => {
          a!.getCell(10).value = { formula: `J${b!.number}+1`, result: 5 } as ExcelJS.CellFormulaValue;
        },
        /^J\d+$/,
        /公式/,
      ],
      [
        "merged cells",
        (ws, [a]) => {
          ws.mergeCells(`F${a!.number}:G${a!.number}`);
        },
        /^[FG]\d+$/,
        /合并单元格/,
      ],
      [
        "an unknown owner",
        (_ws, [a]) => {
          a!.getCell(7).value = "ghost";
        },
        /^G\d+$/,
        /ghost 不存在/,
      ],
      [
        "edited months",
        (_ws, [a]) => {
          a!.getCell(12).value = 1;
        },
        /^L\d+:W\d+$/,
        /月度金额/,
      ],
    ];
    for (const [name, edit, cell, message] of cases) {
      const wb = await exportWorkbook();
      const ws = wb.getWorksheet("目标 targets")!;
      edit(ws, siblingRows(ws));
      const res = await importWorkbook(wb);
      expect(res.status, name).toBe(400);
      const problems = await problemsOf(res);
      expect(
        problems.some((p) => p.sheet === "目标 targets" && cell.test(p.cell ?? "") && message.test(p.message)),
        `${name}: ${JSON.stringify(problems)}`,
      ).toBe(true);
    }
    const missing = await exportWorkbook();
    missing.removeWorksheet(missing.getWorksheet("计划 plan")!.id);
    expect((await problemsOf(await importWorkbook(missing)))[0]).toMatchObject({
      sheet: "计划 plan",
      message: /缺少工作表/,
    });
    const header = await exportWorkbook();
    header.getWorksheet("目标 targets")!.getCell("J1").value = "金额";
    expect(await problemsOf(await importWorkbook(header))).toEqual([
      expect.objectContaining({ cell: "J1", message: expect.stringMatching(/缺少列“目标金额 \/ amount”/) }),
    ]);
    expect(await planSnapshot(svc.db)).toEqual(before);
  });

  it("two reps' amounts changed and a sibling compensating → new versions and ledger entries for exactly those three", async () => {
    const wb = await exportWorkbook();
    const ws = wb.getWorksheet("目标 targets")!;
    const [a, b, c] = siblingRows(ws);
    const amount = (r: ExcelJS.Row) => Number(r.getCell(10).value);
    const ids = [a!, b!, c!].map((r) => r.getCell(1).text);
    const [va, vb, vc] = [a!, b!, c!].map((r) => Number(r.getCell(11).value));
    a!.getCell(10).value = amount(a!) + 300_000;
    b!.getCell(10).value = amount(b!) + 200_000;
    c!.getCell(10).value = amount(c!) - 500_000;
    const lastBefore = (await svc.db.prisma.targetLedger.aggregate({ _max: { id: true } }))._max.id ?? 0n;
    const res = await importWorkbook(wb);
    const body = (await res.json()) as { changed: number; targets: { id: string; version: number }[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.changed).toBe(3);
    expect(body.targets.map((t) => t.id).sort()).toEqual([...ids].sort());
    const after = await svc.db.prisma.target.findMany({ where: { id: { in: ids } } });
    expect(Object.fromEntries(after.map((t) => [t.id, t.version]))).toEqual({
      [ids[0]!]: va! + 1,
      [ids[1]!]: vb! + 1,
      [ids[2]!]: vc! + 1,
    });
    const entries = await svc.db.prisma.targetLedger.findMany({
      where: { id: { gt: lastBefore } },
      orderBy: { id: "asc" },
    });
    // One IMPORT entry per changed target (plus the re-phasing of their months), for those three only.
    expect(new Set(entries.map((e) => e.targetId))).toEqual(new Set(ids));
    expect(entries.filter((e) => e.kind === "IMPORT").map((e) => [e.targetId, e.reason])).toEqual(
      ids.map((id) => [id, "季度复盘调整"]).sort((x, y) => ids.indexOf(x[0]!) - ids.indexOf(y[0]!)),
    );
    expect(await violations()).toEqual([]);

    // The old export is now stale for those rows: importing it again is refused.
    const stale = await exportWorkbook();
    const res2 = await importWorkbook(wb);
    expect(res2.status).toBe(400);
    const staleProblems = JSON.stringify(await problemsOf(res2));
    expect(staleProblems, staleProblems).toMatch(/导出后已被修改/);
    expect((await (await importWorkbook(stale)).json()) as unknown).toEqual({ changed: 0, targets: [] });
  });
});
