import { paramError } from "./api-errors.ts";

function actionCardKeys(buttons: number): string[] {
  const keys = ["title", "text"];
  for (let i = 1; i <= buttons; i++) keys.push(`actionTitle${i}`, `actionURL${i}`);
  return keys;
}

/** `msgKey` → the `msgParam` keys it needs (docs/dingtalk.md §4 table). */
export const MSG_PARAM_KEYS: Readonly<Record<string, readonly string[]>> = {
  sampleText: ["content"],
  sampleMarkdown: ["title", "text"],
  sampleImageMsg: ["photoURL"],
  sampleLink: ["text", "title", "picUrl", "messageUrl"],
  sampleActionCard: ["title", "text", "singleTitle", "singleURL"],
  sampleActionCard2: actionCardKeys(2),
  sampleActionCard3: actionCardKeys(3),
  sampleActionCard4: actionCardKeys(4),
  sampleActionCard5: actionCardKeys(5),
  // Casing of the next four is from third-party transcriptions (UNVERIFIED in docs/dingtalk.md §4).
  sampleActionCard6: ["title", "text", "buttonTitle1", "buttonUrl1", "buttonTitle2", "buttonUrl2"],
  sampleAudio: ["mediaId", "duration"],
  sampleFile: ["mediaId", "fileName", "fileType"],
  sampleVideo: ["duration", "videoMediaId", "videoType", "picMediaId"],
};

/**
 * Validates `msgKey` and `msgParam` (a JSON **string** whose object has the table's keys). Every failure is
 * 400 `param.invalid` (the real robot API's codes are UNVERIFIED).
 */
export function parseMsgParam(
  msgKey: unknown,
  msgParam: unknown,
  maxBytes?: number,
): { msgKey: string; msgParam: Record<string, unknown> } {
  if (typeof msgKey !== "string" || !(msgKey in MSG_PARAM_KEYS)) {
    throw paramError("param.invalid", `msgKey ${String(msgKey)} 不支持`);
  }
  if (typeof msgParam !== "string") throw paramError("param.invalid", "msgParam must be a JSON string");
  if (maxBytes !== undefined && Buffer.byteLength(msgParam) > maxBytes) {
    throw paramError("param.invalid", `msgParam is longer than ${maxBytes} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(msgParam);
  } catch {
    throw paramError("param.invalid", "msgParam is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw paramError("param.invalid", "msgParam must encode a JSON object");
  }
  const params = parsed as Record<string, unknown>;
  for (const key of MSG_PARAM_KEYS[msgKey] ?? []) {
    const value = params[key];
    const present = (typeof value === "string" && value !== "") || typeof value === "number";
    if (!present) throw paramError("param.invalid", `msgParam.${key} is required for ${msgKey}`);
  }
  return { msgKey, msgParam: params };
}
