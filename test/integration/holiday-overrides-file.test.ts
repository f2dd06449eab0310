import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../src/lib/errors.ts";
import { loadHolidayOverrides } from "../../src/load-holiday-overrides.ts";

describe("loadHolidayOverrides (real files)", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "holiday-overrides-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the shipped config file", async () => {
    expect(await loadHolidayOverrides("config/holidays-override.json")).toEqual({ years: {} });
  });

  it("treats a missing file as no overrides", async () => {
    expect(await loadHolidayOverrides(join(dir, "missing.json"))).toBeUndefined();
  });

  it("reads a valid file", async () => {
    const path = join(dir, "ok.json");
    await writeFile(path, JSON.stringify({ years: { "2031": { holidays: ["2031-01-01"], workdays: [] } } }));
    expect(await loadHolidayOverrides(path)).toEqual({ years: { "2031": { holidays: ["2031-01-01"], workdays: [] } } });
  });

  it("names the file when its JSON or content is broken", async () => {
    const broken = join(dir, "broken.json");
    await writeFile(broken, "{ years: ");
    await expect(loadHolidayOverrides(broken)).rejects.toSatisfy(
      (e: unknown) => e instanceof AppError && e.userMessage.startsWith(`节假日覆盖文件 ${broken} 不是有效的 JSON`),
    );
    const wrong = join(dir, "wrong.json");
    await writeFile(wrong, JSON.stringify({ years: { "2031": { holidays: ["2031-02-30"], workdays: [] } } }));
    await expect(loadHolidayOverrides(wrong)).rejects.toSatisfy(
      (e: unknown) => e instanceof AppError && e.userMessage.includes("「2031-02-30」不是有效日期"),
    );
  });
});
