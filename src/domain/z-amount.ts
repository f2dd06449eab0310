import { z } from "zod";

const BIGINT_MAX = 9_223_372_036_854_775_807n;

/**
 * The rule for an amount in whole yuan (or a count): a bigint, never negative, never beyond PostgreSQL's
 * bigint. Card builders take this: they are called by code, and a JavaScript number there would be a bug.
 */
export const ZAmountValue = z
  .bigint()
  .min(0n, "金额不能为负数")
  .max(BIGINT_MAX, "金额超出范围（最大 9223372036854775807）");

/**
 * The same amount as JSON gives it: an integer number within JavaScript's exact range, or a string of digits
 * for anything larger. Never a fraction; then {@link ZAmountValue}.
 */
export const ZAmount = z
  .union([z.number(), z.string()])
  .transform((v, ctx): bigint => {
    if (typeof v === "number" && !Number.isSafeInteger(v)) {
      ctx.addIssue({
        code: "custom",
        message: Number.isInteger(v) ? "超出 JSON 数字的精确范围，请以字符串传递" : "金额必须是整数（元）",
      });
      return z.NEVER;
    }
    const s = String(v).trim();
    if (!/^-?\d+$/.test(s)) {
      ctx.addIssue({ code: "custom", message: `“${s}”不是整数金额` });
      return z.NEVER;
    }
    return BigInt(s);
  })
  .pipe(ZAmountValue);
