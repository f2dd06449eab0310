import { readFile } from "node:fs/promises";
import type { HolidayOverrides } from "./domain/holiday-overrides.ts";
import { parseHolidayOverrides } from "./domain/parse-holiday-overrides.ts";
import { validationError } from "./lib/errors.ts";

/**
 * Reads and validates an overrides file. A missing file means "no overrides" (chinese-days' data alone), so a
 * deployment without the config folder still starts; a file that exists but is broken stops start-up.
 */
export async function loadHolidayOverrides(path: string): Promise<HolidayOverrides | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw validationError(`节假日覆盖文件 ${path} 不是有效的 JSON：${(error as Error).message}`, [
      { field: path, message: "JSON 语法错误" },
    ]);
  }
  return parseHolidayOverrides(json, `节假日覆盖文件 ${path}`);
}
