import type Router from "@koa/router";
import type { Context } from "koa";
import { paramError } from "./api-errors.ts";
import { appOf, newApiAuth } from "./api-guard.ts";
import type { AppRecord } from "./app-registry.ts";
import type { StoredPayload } from "./conversation-store.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import { newOpaqueKey } from "./ids.ts";
import { parseMsgParam } from "./msg-params.ts";
import { isRecord, readApiBody } from "./read-json.ts";

/** batchSend takes at most 20 userIds per call (docs/dingtalk.md §4). */
export const BATCH_SEND_MAX_USERS = 20;
/** groupMessages/send: msgParam ≤ 15 000 bytes (docs/dingtalk.md §4). */
const GROUP_MSG_PARAM_MAX_BYTES = 15_000;

/** Plain robot messages of robot_1_0 (docs/dingtalk.md §4). */
export function registerRobotRoutes(router: Router, core: EmulatorCore): void {
  const auth = newApiAuth(core);

  router.post("/v1.0/robot/oToMessages/batchSend", auth, async (ctx) => {
    const app = appOf(ctx, core);
    const body = await objectBody(ctx);
    checkRobotCode(body.robotCode, app);
    const userIds = parseUserIds(body.userIds);
    const { msgKey, msgParam } = parseMsgParam(body.msgKey, body.msgParam);
    // Ids unknown to a loaded directory come back in invalidStaffIdList; the others get the message.
    const known = (id: string) => !core.directory.hasUsers() || core.directory.user(id) !== undefined;
    const processQueryKey = newOpaqueKey();
    const payload = storedMessage(core, app, "batchSend", msgKey, msgParam, processQueryKey);
    for (const userId of userIds.filter(known)) {
      const conversation = core.conversations.direct(app.clientId, userId);
      core.conversations.append(conversation, [userId], payload);
    }
    ctx.body = {
      processQueryKey,
      invalidStaffIdList: userIds.filter((id) => !known(id)),
      flowControlledStaffIdList: [],
      filteredStaffIdList: [],
    };
  });

  router.post("/v1.0/robot/groupMessages/send", auth, async (ctx) => {
    const app = appOf(ctx, core);
    const body = await objectBody(ctx);
    checkRobotCode(body.robotCode, app);
    const id = body.openConversationId;
    if (typeof id !== "string" || !id.startsWith("cid")) {
      throw paramError("param.invalid", "openConversationId must be a group's cid…");
    }
    const { msgKey, msgParam } = parseMsgParam(body.msgKey, body.msgParam, GROUP_MSG_PARAM_MAX_BYTES);
    const conversation = core.conversations.group(app.clientId, id);
    const processQueryKey = newOpaqueKey();
    const payload = storedMessage(core, app, "groupSend", msgKey, msgParam, processQueryKey);
    core.conversations.append(conversation, [...conversation.members], payload);
    ctx.body = { processQueryKey };
  });
}

/**
 * What a recipient gets: an image message (docs/dingtalk.md §4.0: `photoURL` is a public URL or a media_id from
 * `/media/upload`, which must then be one of this app's images) or any other robot message as sent.
 */
function storedMessage(
  core: EmulatorCore,
  app: AppRecord,
  via: "batchSend" | "groupSend",
  msgKey: string,
  msgParam: Record<string, unknown>,
  processQueryKey: string,
): StoredPayload {
  if (msgKey !== "sampleImageMsg") return { kind: "robotMessage", via, msgKey, msgParam, processQueryKey };
  const photoURL = String(msgParam.photoURL);
  if (/^https?:\/\//.test(photoURL)) return { kind: "image", via, photoURL, mediaId: null, processQueryKey };
  const media = core.media.get(photoURL);
  if (!media || media.clientId !== app.clientId || media.type !== "image") {
    throw paramError(
      "param.invalid",
      `msgParam.photoURL: ${photoURL} is neither a URL nor an image media_id of this app`,
    );
  }
  return { kind: "image", via, photoURL, mediaId: media.mediaId, processQueryKey };
}

async function objectBody(ctx: Context): Promise<Record<string, unknown>> {
  const body = await readApiBody(ctx);
  if (!isRecord(body)) throw paramError("param.invalid", "body must be a JSON object");
  return body;
}

function checkRobotCode(value: unknown, app: AppRecord): void {
  if (typeof value !== "string" || value === "") throw paramError("param.invalid", "robotCode 不能为空");
  if (value !== app.robotCode) throw paramError("param.invalid", `robotCode ${value} is not this app's robot`);
}

function parseUserIds(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== "string" || v === "")) {
    throw paramError("param.invalid", "userIds must be a non-empty list of userIds");
  }
  if (value.length > BATCH_SEND_MAX_USERS) {
    throw paramError("param.invalid", `userIds: at most ${BATCH_SEND_MAX_USERS} per call, got ${value.length}`);
  }
  return [...new Set(value as string[])];
}
