import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOrgWorkbook } from "../../src/org/org-workbook.ts";
import { orgSnapshot } from "../helpers/org-snapshot.ts";
import { csvForm, orgCsvPair, sampleJson, xlsxForm } from "../helpers/org-uploads.ts";
import { type ApiError, type ApiPlan, jsonInit, planApi } from "../helpers/plan-api.ts";
import { planSnapshot } from "../helpers/plan-snapshot.ts";
import { tableCounts } from "../helpers/table-counts.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";
import { xlsxBomb } from "../helpers/xlsx-bomb.ts";

/**
 * Issue #15 items 1, 6 and 7: hostile uploads. A 3,000,000-row Excel bomb, a file that lies about its size,
 * too many rows, columns or too big a cell, two heavy uploads at once, parts that add up past the body limit,
 * an empty merged cell. Each gets a quick 4xx that names the limit or the cell, and nothing is written.
 */
let svc: TestService;
const api = planApi(() => svc);
let plan: ApiPlan;
const MB = 1024 * 1024;
// Limits small enough to reach cheaply, large enough for the reference company.
const ENV = {
  BODY_LIMIT_MB: "8",
  UPLOAD_MAX_ROWS: "5000",
  UPLOAD_MAX_COLUMNS: "30",
  UPLOAD_MAX_CELL_BYTES: "1024",
  UPLOAD_MAX_UNZIPPED_MB: "64",
};

let bomb: Buffer;
let lyingBomb: Buffer;

beforeAll(async () => {
  svc = await startTestService(ENV);
  await api.importReferenceOrg();
  plan = await api.newPlan(1_000_000);
  bomb = await xlsxBomb({ rows: 3_000_000 });
  lyingBomb = await xlsxBomb({ rows: 3_000_000, lie: true });
}, 120_000);
afterAll(() => svc.close());

const snapshot = async () => ({
  counts: await tableCounts(svc.db),
  org: await orgSnapshot(svc.db),
  plans: await planSnapshot(svc.db),
});

const putOrg = (body: RequestInit["body"], headers: Record<string, string> = {}) =>
  svc.api("/api/org", { method: "PUT", body, headers });
const xlsxBody = (buf: Buffer) => ({
  body: new Uint8Array(buf),
  headers: { "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
});

async function refused(res: Response, status: number, limit: RegExp): Promise<ApiError> {
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBe(status);
  expect(text).toMatch(limit);
  return JSON.parse(text) as ApiError;
}

describe("an Excel bomb is refused before it inflates", () => {
  // How fast the answer comes, how /healthz fares meanwhile and how RSS grows are bench:hostile's figures
  // (BENCHMARKS.md), not assertions here: these tests show which limit stops each file, before it is inflated.
  it("the 3,000,000-row bomb: a 413 naming UPLOAD_MAX_UNZIPPED_MB from the sizes it declares, nothing written", async () => {
    expect(bomb.length).toBeLessThan(5 * MB); // a few MB on the wire …
    const before = await snapshot();
    const res = await putOrg(xlsxBody(bomb).body, xlsxBody(bomb).headers);
    const body = await refused(res, 413, /UPLOAD_MAX_UNZIPPED_MB=64 MB/);
    expect(body.error.message).toContain("Excel 解压后的大小不能超过 64 MB");
    expect(await snapshot()).toEqual(before);
  });

  it("the same bomb declaring tiny sizes in its headers stops at UPLOAD_MAX_ROWS while inflating", async () => {
    const before = await snapshot();
    const body = await refused(
      await putOrg(xlsxBody(lyingBomb).body, xlsxBody(lyingBomb).headers),
      413,
      /UPLOAD_MAX_ROWS=5000/,
    );
    expect(body.error.message).toContain("行数不能超过 5000");
    expect(await snapshot()).toEqual(before);
  });

  it("a lying file whose bulk is no sheet at all is stopped by the inflated bytes counted", async () => {
    const padded = await xlsxBomb({ rows: 3, lie: true, padMb: 300 });
    const before = await snapshot();
    await refused(await putOrg(xlsxBody(padded).body, xlsxBody(padded).headers), 413, /UPLOAD_MAX_UNZIPPED_MB=64 MB/);
    expect(await snapshot()).toEqual(before);
  });

  it("the bomb as a multipart upload and as a plan workbook is refused the same way", async () => {
    const before = await snapshot();
    await refused(await putOrg(await xlsxForm(bomb)), 413, /UPLOAD_MAX_UNZIPPED_MB/);
    await refused(
      await svc.api(`/api/plans/${plan.id}/import`, { method: "POST", ...xlsxBody(lyingBomb) }),
      413,
      /UPLOAD_MAX_ROWS=5000/,
    );
    expect(await snapshot()).toEqual(before);
  });

  it("two heavy uploads at once: the second gets 429 with Retry-After", async () => {
    const before = await snapshot();
    // The first upload holds the gate while its body is still arriving: half now, the rest once the second
    // has its answer.
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const half = bomb.length >> 1;
    let step = 0;
    const slow = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (step === 0) controller.enqueue(new Uint8Array(bomb.subarray(0, half)));
        else if (step === 1) {
          await released;
          controller.enqueue(new Uint8Array(bomb.subarray(half)));
        } else controller.close();
        step++;
      },
    });
    const first = svc.api("/api/org", {
      method: "PUT",
      body: slow,
      headers: { "content-type": "application/octet-stream" },
      duplex: "half",
    } as RequestInit);
    await new Promise((r) => setTimeout(r, 300)); // the first request is in its route, reading
    const second = await putOrg(xlsxBody(lyingBomb).body, xlsxBody(lyingBomb).headers);
    const body = await refused(second, 429, /另一个文件正在导入/);
    expect(body.error.code).toBe("TOO_MANY_REQUESTS");
    expect(second.headers.get("retry-after")).toBe("5");
    release();
    await refused(await first, 413, /UPLOAD_MAX_UNZIPPED_MB/);
    // The gate is free again.
    await refused(await putOrg(xlsxBody(lyingBomb).body, xlsxBody(lyingBomb).headers), 413, /UPLOAD_MAX_ROWS/);
    expect(await snapshot()).toEqual(before);
  });
});

describe("rows, columns and cells beyond the limits; capped error lists", () => {
  const org = sampleJson();

  it("CSV with 5,001 staff rows, a 31-column row, a 1,025-byte cell: 413 naming each limit", async () => {
    const o = await org;
    const before = await snapshot();
    const many = { ...o, staff: Array.from({ length: 5001 }, (_, i) => ({ ...o.staff[0], userId: `u${i}` })) };
    const rows = orgCsvPair(many as typeof o);
    await refused(await putOrg(csvForm(rows.departments, rows.staff)), 413, /UPLOAD_MAX_ROWS=5000 \(staff\.csv\)/);

    const pair = orgCsvPair(o);
    const wide = pair.staff.replace(/\r\n/, `${",x".repeat(30)}\r\n`);
    await refused(await putOrg(csvForm(pair.departments, wide)), 413, /UPLOAD_MAX_COLUMNS=30 \(staff\.csv 第 1 行\)/);

    const big = orgCsvPair({ ...o, staff: o.staff.map((s, i) => (i === 2 ? { ...s, title: "长".repeat(400) } : s)) });
    await refused(await putOrg(csvForm(big.departments, big.staff)), 413, /UPLOAD_MAX_CELL_BYTES=1024 字节/);
    expect(await snapshot()).toEqual(before);
  });

  it("a JSON org with 5,001 staff: 413 naming UPLOAD_MAX_ROWS", async () => {
    const o = await org;
    const before = await snapshot();
    const many = { ...o, staff: Array.from({ length: 5001 }, (_, i) => ({ ...o.staff[0], userId: `u${i}` })) };
    await refused(await svc.api("/api/org", jsonInit("PUT", many)), 413, /UPLOAD_MAX_ROWS=5000 \(staff\)/);
    expect(await snapshot()).toEqual(before);
  });

  it("4,000 invalid rows: the answer lists the first 200 problems and the total", async () => {
    const o = await org;
    const before = await snapshot();
    const bad = {
      ...o,
      staff: Array.from({ length: 4000 }, (_, i) => ({ ...o.staff[0], userId: `u${i}`, role: "BOSS" })),
    };
    const rows = orgCsvPair(bad as typeof o);
    const res = await putOrg(csvForm(rows.departments, rows.staff));
    const text = await res.text();
    expect(res.status, text.slice(0, 300)).toBe(400);
    const body = JSON.parse(text) as ApiError & { error: { detailsTotal?: number } };
    expect((body.error.details as unknown[]).length).toBe(200);
    expect(body.error.detailsTotal).toBeGreaterThanOrEqual(4000);
    expect(text.length).toBeLessThan(100_000);
    expect(await snapshot()).toEqual(before);
  });

  it("multipart parts adding up past BODY_LIMIT_MB are refused, each under it", async () => {
    const before = await snapshot();
    const form = new FormData();
    for (const name of ["a", "b", "c"]) form.append(name, new Blob([Buffer.alloc(3 * MB, 1)]), `${name}.bin`);
    await refused(await putOrg(form), 413, /上传内容合计超过上限 8 MB/);
    await refused(await svc.api(`/api/plans/${plan.id}/import`, { method: "POST", body: form }), 413, /合计超过上限/);
    expect(await snapshot()).toEqual(before);
  });

  it("an org workbook with an empty merged cell: 400 naming the cell (was 500)", async () => {
    const o = await org;
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await buildOrgWorkbook(o)) as unknown as ArrayBuffer);
    const staff = wb.worksheets.find((w) => w.name.includes("staff"));
    if (!staff) throw new Error("the template has a staff sheet");
    staff.getCell("E3").value = null;
    staff.mergeCells("E3:E4");
    const file = Buffer.from(await wb.xlsx.writeBuffer());
    const before = await snapshot();
    const body = await refused(await putOrg(await xlsxForm(file)), 400, /不支持合并单元格/);
    expect(body.error.details).toContainEqual(
      expect.objectContaining({ sheet: "员工 staff", cell: "E3", message: "不支持合并单元格，请取消合并" }),
    );
    expect(await snapshot()).toEqual(before);
  });
});
