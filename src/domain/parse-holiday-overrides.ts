import { z } from "zod";
import type { InputProblem } from "../lib/errors.ts";
import { validationError } from "../lib/errors.ts";
import type { HolidayOverrides } from "./holiday-overrides.ts";
import { findHolidayOverrideProblems } from "./holiday-overrides.ts";

/**
 * Shape of config/holidays-override.json. Strict objects, so a typo such as "holiday" is reported instead of
 * silently ignored; `_comment` keys are allowed because JSON has no comments.
 */
export const ZHolidayOverridesFile = z.strictObject({
  _comment: z.string().optional(),
  // Year keys are checked by findHolidayOverrideProblems, which words the message for people.
  years: z.record(
    z.string(),
    z.strictObject({
      _comment: z.string().optional(),
      holidays: z.array(z.string()),
      workdays: z.array(z.string()),
    }),
  ),
});
export type THolidayOverridesFile = z.input<typeof ZHolidayOverridesFile>;

/**
 * Validates the parsed JSON of an overrides file (shape with zod, then dates: real, in their year, not both off
 * and worked) and returns it without the comments. Pure; `source` only names the file in messages.
 *
 * @throws AppError VALIDATION naming every bad entry.
 */
export function parseHolidayOverrides(json: unknown, source = "节假日覆盖配置"): HolidayOverrides {
  // Chinese messages for this parse only; the service's global zod config stays untouched.
  const parsed = ZHolidayOverridesFile.safeParse(json, { error: z.locales.zhCN().localeError });
  if (!parsed.success) {
    const problems: InputProblem[] = parsed.error.issues.map((issue) => ({
      field: issue.path.length > 0 ? issue.path.map(String).join(".") : "(根)",
      message: issue.message,
    }));
    throw overridesError(source, problems);
  }
  const years = Object.fromEntries(
    Object.entries(parsed.data.years).map(([year, days]) => [
      year,
      { holidays: days.holidays, workdays: days.workdays },
    ]),
  );
  const overrides: HolidayOverrides = { years };
  const problems = findHolidayOverrideProblems(overrides);
  if (problems.length > 0) throw overridesError(source, problems);
  return overrides;
}

function overridesError(source: string, problems: InputProblem[]) {
  // Domain problems already name their field in the message; zod's do not.
  const list = problems
    .map((p) => (p.field && !p.message.includes(p.field) ? `${p.field}：${p.message}` : p.message))
    .join("；");
  return validationError(`${source}有误：${list}`, problems);
}
