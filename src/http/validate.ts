import type { Context, Next } from "koa";
import type { z } from "zod";
import { AppError } from "../lib/errors.ts";
import { readJson } from "./read-body.ts";

/** zod issues → the `details` of a 400 (path as a dotted string, so clients can point at the field). */
export function zodProblems(error: { issues: readonly z.core.$ZodIssue[] }) {
  return error.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message, code: i.code }));
}

/** Parses `value` with `schema` or throws a 400 listing every issue. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what = "请求参数"): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw issuesError(parsed.error.issues, what);
  return parsed.data;
}

/** The 400 for zod issues gathered by hand (e.g. row by row): the same answer as {@link parseOrThrow}'s. */
export function issuesError(issues: readonly z.core.$ZodIssue[], what = "请求参数"): AppError {
  return new AppError("VALIDATION", `${what}无效`, { details: zodProblems({ issues }) });
}

/**
 * Koa middleware (the @koa/router recipe): reads the JSON body, validates it with `schema` and leaves the
 * typed result in `ctx.state.body`.
 */
export function validate<S extends z.ZodType>(schema: S, limit: number) {
  return async (ctx: Context, next: Next) => {
    ctx.state.body = parseOrThrow(schema, await readJson(ctx, limit), "请求体");
    await next();
  };
}
