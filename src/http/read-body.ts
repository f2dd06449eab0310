import type { Context } from "koa";
import { AppError } from "../lib/errors.ts";
import { badCharMessage, findBadCharInJson } from "../lib/text-rule.ts";

/** Reads the whole request body into memory, refusing more than `limit` bytes (413) before reading it all. */
export async function readBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get("content-length") || "0");
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Options of {@link readJson} and {@link parseJsonBody}. */
export interface JsonBodyOptions {
  /** What an empty body stands for (a route whose fields are all optional); without it an empty body is a 400. */
  whenEmpty?: unknown;
  /** Cheap checks (e.g. row counts) to run before the text rule walks the body. */
  precheck?: (value: unknown) => void;
}

/**
 * Parses a JSON body; a malformed one is a 400 that says where it broke. An empty body is a 400 too, unless
 * `whenEmpty` says what it stands for (a route whose fields are all optional).
 */
export async function readJson(ctx: Context, limit: number, opts: JsonBodyOptions = {}): Promise<unknown> {
  return parseJsonBody(await readJsonBytes(ctx, limit), opts);
}

/** The bytes of a body declared as JSON (or not declared), unparsed; anything else is a 415 before it is read. */
export async function readJsonBytes(ctx: Context, limit: number): Promise<Buffer> {
  // A body declared as something else (a form, plain text, a file) is refused before it is read: `curl -d` without
  // `-H "Content-Type: application/json"` sends a form. No declared type at all is read as JSON.
  const type = ctx.get("content-type");
  if (type !== "" && !ctx.is("json")) {
    throw new AppError(
      "UNSUPPORTED_MEDIA_TYPE",
      `请求体应为 JSON（Content-Type: application/json），收到的是 ${type.slice(0, 100)}`,
    );
  }
  return readBody(ctx, limit);
}

/** The JSON of a body read by {@link readJsonBytes}: nesting, syntax, `precheck` and the text rule, each a 400. */
export function parseJsonBody(raw: Buffer, opts: JsonBodyOptions = {}): unknown {
  if (raw.length === 0) {
    if ("whenEmpty" in opts) return opts.whenEmpty;
    throw new AppError("VALIDATION", "请求体为空，应为 JSON");
  }
  if (nestedDeeperThan(raw, MAX_JSON_DEPTH)) {
    throw new AppError(
      "VALIDATION",
      `请求体嵌套过深（超过 ${MAX_JSON_DEPTH} 层）：请按接口文档的格式发送 / JSON nested too deeply`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch (err) {
    throw new AppError("VALIDATION", `请求体不是有效的 JSON：${(err as Error).message}`);
  }
  opts.precheck?.(value);
  // The text rule for every JSON route at once (validate() and the org import both read bodies here).
  const bad = findBadCharInJson(value);
  if (bad) throw badCharInBody(bad);
  return value;
}

/** The 400 for an invalid character in a JSON body (see findBadCharInJson). */
export function badCharInBody(bad: { path: string; index: number; code: string }): AppError {
  return new AppError("VALIDATION", badCharMessage(`请求体字段 ${bad.path} / body field`, bad), {
    details: [{ field: bad.path, message: `含有无法识别的字符 ${bad.code}`, code: "invalid_character" }],
  });
}

/**
 * The deepest nesting a JSON body may have. No route's body goes beyond 4 levels; the walks after this one (the
 * text rule, zod) recurse, and a body of a few thousand `[` overflowed the stack — a 500 the API fuzz test found.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether the JSON text nests arrays/objects more than `max` levels deep, read from its bytes before JSON.parse
 * (brackets inside strings do not count): a body of millions of `[` is refused at once, where parsing it took
 * seconds of the one thread.
 */
function nestedDeeperThan(raw: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (inString) {
      if (b === 0x5c)
        i++; // backslash: the next byte is escaped
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}

function tooLarge(limit: number): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `请求体超过上限 ${Math.round(limit / 1024 / 1024)} MB`);
}
