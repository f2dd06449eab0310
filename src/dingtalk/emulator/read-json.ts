import type { Context } from "koa";
import { ControlError, DingTalkApiError, LegacyApiError } from "./api-errors.ts";

const BODY_LIMIT = 1024 * 1024;

type RawJson = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * Reads the whole request body now and keeps it for the route (`ctx.state.rawBody`): a stalled call's body is
 * read before the stall, as DingTalk had it whole before it stopped answering, so the caller's giving up in
 * the meantime does not take it away.
 */
export async function bufferBody(ctx: Context): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  ctx.state.rawBody = Buffer.concat(chunks);
}

/** Reads a JSON request body (≤1 MB). An empty body is `undefined`. */
async function readRawJson(ctx: Context): Promise<RawJson> {
  const chunks: Buffer[] = [];
  let size = 0;
  const buffered = ctx.state.rawBody instanceof Buffer ? [ctx.state.rawBody] : undefined;
  for await (const chunk of buffered ?? ctx.req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) return { ok: false, reason: "body larger than 1 MB" };
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, reason: `malformed JSON: ${(err as Error).message}` };
  }
}

/** Body of a new-API call; malformed JSON is 400 `param.invalid` (code UNVERIFIED). */
export async function readApiBody(ctx: Context): Promise<unknown> {
  const raw = await readRawJson(ctx);
  if (!raw.ok) throw new DingTalkApiError(400, "param.invalid", raw.reason);
  return raw.value;
}

/** Body of a legacy call; malformed JSON is errcode 400002 "invalid parameter" (docs/dingtalk.md §6). */
export async function readLegacyBody(ctx: Context): Promise<Record<string, unknown>> {
  const raw = await readRawJson(ctx);
  if (!raw.ok) throw new LegacyApiError(400002, `不合法的参数: ${raw.reason}`);
  return isRecord(raw.value) ? raw.value : {};
}

/** Body of a control call (`/_emulator/…`). */
export async function readControlBody(ctx: Context): Promise<unknown> {
  const raw = await readRawJson(ctx);
  if (!raw.ok) throw new ControlError(400, raw.reason);
  return raw.value ?? {};
}

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
