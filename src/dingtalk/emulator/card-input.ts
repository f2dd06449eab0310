import { paramError } from "./api-errors.ts";
import type { CardUpdate, ParamMap } from "./card-store.ts";
import { isRecord } from "./read-json.ts";

/** cardParamMap limits (docs/dingtalk.md §3.1): key ≤ 100 bytes, value ≤ 1 KB, values are strings. */
const KEY_MAX_BYTES = 100;
const VALUE_MAX_BYTES = 1024;

/** Maps an id of the request's userIdType to a userId (unionIds are translated through the directory). */
export type ToUserId = (id: string) => string;

/** Validates a cardParamMap; anything wrong is 400 `param.invalid`. */
export function checkParamMap(value: unknown, where: string): ParamMap {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw paramError("param.invalid", `${where} must be a Map<String,String>`);
  const map: ParamMap = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string") {
      throw paramError(
        "param.invalid",
        `${where}.${key} must be a string, got ${item === null ? "null" : typeof item}`,
      );
    }
    if (Buffer.byteLength(key) > KEY_MAX_BYTES) throw paramError("param.invalid", `${where}: key "${key}" > 100 bytes`);
    if (Buffer.byteLength(item) > VALUE_MAX_BYTES) throw paramError("param.invalid", `${where}.${key}: value > 1 KB`);
    map[key] = item;
  }
  return map;
}

/** `privateData: {id: {cardParamMap}}` → userId → map. */
export function checkPrivateData(value: unknown, toUserId: ToUserId): Record<string, ParamMap> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw paramError("param.invalid", "privateData must be an object keyed by user id");
  const result: Record<string, ParamMap> = {};
  for (const [id, entry] of Object.entries(value)) {
    if (!isRecord(entry)) throw paramError("param.invalid", `privateData.${id} must be {cardParamMap}`);
    result[toUserId(id)] = checkParamMap(entry.cardParamMap, `privateData.${id}.cardParamMap`);
  }
  return result;
}

/** A non-blank string, else 400 with the given `param.*` code. */
export function requiredString(value: unknown, code: string, field: string): string {
  if (typeof value !== "string" || value.trim() === "") throw paramError(code, `${field} 不能为空`);
  return value;
}

/** `userIdType`: 1 = userId (default), 2 = unionId (docs/dingtalk.md §3.2). */
export function parseUserIdType(value: unknown): 1 | 2 {
  if (value === undefined || value === null || value === 1) return 1;
  if (value === 2) return 2;
  throw paramError("param.invalid", "userIdType must be 1 or 2");
}

/** The card part of create / createAndDeliver (docs/dingtalk.md §3.3, §3.4). */
export interface CardCreateInput {
  cardTemplateId: string;
  outTrackId: string;
  callbackType: string | undefined;
  callbackRouteKey: string | undefined;
  userIdType: 1 | 2;
  cardParamMap: ParamMap;
  privateData: Record<string, ParamMap>;
}

/** Validates the card part of a create call; the first problem found is thrown as a `param.*` error. */
export function parseCardCreate(body: Record<string, unknown>, toUserId: ToUserId): CardCreateInput {
  const cardTemplateId = requiredString(body.cardTemplateId, "param.cardTemplateIdEmpty", "cardTemplateId");
  const outTrackId = requiredString(body.outTrackId, "param.outTrackIdEmpty", "outTrackId");
  if (!isRecord(body.cardData)) throw paramError("param.cardPublicDataEmpty", "cardData 不能为空");
  const callbackType = optionalString(body.callbackType, "callbackType");
  if (callbackType !== undefined && callbackType !== "STREAM" && callbackType !== "HTTP") {
    throw paramError("param.invalid", 'callbackType must be "STREAM" or "HTTP"');
  }
  return {
    cardTemplateId,
    outTrackId,
    callbackType,
    callbackRouteKey: optionalString(body.callbackRouteKey, "callbackRouteKey"),
    userIdType: parseUserIdType(body.userIdType),
    cardParamMap: checkParamMap(body.cardData.cardParamMap, "cardData.cardParamMap"),
    privateData: checkPrivateData(body.privateData, toUserId),
  };
}

/** `PUT /v1.0/card/instances` (docs/dingtalk.md §3.4). */
export function parseCardUpdate(
  body: Record<string, unknown>,
  toUserId: ToUserId,
): CardUpdate & { outTrackId: string } {
  const outTrackId = requiredString(body.outTrackId, "param.outTrackIdEmpty", "outTrackId");
  if (body.cardData == null && body.privateData == null) {
    throw paramError("param.cardDataAndPrivateDataBothEmpty", "cardData 和 privateData 不能同时为空");
  }
  if (body.cardData != null && !isRecord(body.cardData))
    throw paramError("param.invalid", "cardData must be an object");
  const options = parseUpdateOptions(body.cardUpdateOptions);
  const update: CardUpdate & { outTrackId: string } = { outTrackId, ...options };
  if (isRecord(body.cardData) && body.cardData.cardParamMap != null) {
    update.cardParamMap = checkParamMap(body.cardData.cardParamMap, "cardData.cardParamMap");
  }
  if (body.privateData != null) update.privateData = checkPrivateData(body.privateData, toUserId);
  return update;
}

/**
 * A card-callback ack's `response` (docs/dingtalk.md §3.6): `cardData`, `userPrivateData` (the clicking user, the
 * documented form), `privateData` keyed by user (the Python example's form), `cardUpdateOptions`.
 */
export function parseCallbackResponse(response: unknown, clickingUserId: string, toUserId: ToUserId): CardUpdate {
  if (response === undefined || response === null) return {};
  if (!isRecord(response)) throw paramError("param.invalid", "response must be an object");
  const update: CardUpdate = parseUpdateOptions(response.cardUpdateOptions);
  if (isRecord(response.cardData) && response.cardData.cardParamMap != null) {
    update.cardParamMap = checkParamMap(response.cardData.cardParamMap, "cardData.cardParamMap");
  }
  const privateData = checkPrivateData(response.privateData, toUserId);
  if (isRecord(response.userPrivateData) && response.userPrivateData.cardParamMap != null) {
    privateData[clickingUserId] = checkParamMap(response.userPrivateData.cardParamMap, "userPrivateData.cardParamMap");
  }
  if (Object.keys(privateData).length > 0) update.privateData = privateData;
  return update;
}

function parseUpdateOptions(value: unknown): Pick<CardUpdate, "updateCardDataByKey" | "updatePrivateDataByKey"> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw paramError("param.invalid", "cardUpdateOptions must be an object");
  const result: Pick<CardUpdate, "updateCardDataByKey" | "updatePrivateDataByKey"> = {};
  for (const key of ["updateCardDataByKey", "updatePrivateDataByKey"] as const) {
    const flag = value[key];
    if (flag === undefined || flag === null) continue;
    if (typeof flag !== "boolean") throw paramError("param.invalid", `cardUpdateOptions.${key} must be a boolean`);
    result[key] = flag;
  }
  return result;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw paramError("param.invalid", `${field} must be a string`);
  return value;
}
