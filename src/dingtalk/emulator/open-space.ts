import { paramError } from "./api-errors.ts";
import type { AppRecord } from "./app-registry.ts";
import type { SpaceType } from "./card-store.ts";
import { isRecord } from "./read-json.ts";

/** One `<SPACE_TYPE>.<spaceId>` of an openSpaceId (docs/dingtalk.md §3.2). */
export interface OpenSpace {
  spaceType: SpaceType;
  spaceId: string;
}

const PREFIX = "dtv1.card//";
const KNOWN_TYPES = new Set(["IM_ROBOT", "IM_GROUP", "IM_SINGLE", "ONE_BOX"]);

/** Parses `dtv1.card//IM_ROBOT.<userId>;IM_GROUP.<cid>…`; only IM_ROBOT and IM_GROUP are emulated. */
export function parseOpenSpaceId(value: unknown): OpenSpace[] {
  if (typeof value !== "string" || value.trim() === "")
    throw paramError("param.openSpaceIdEmpty", "openSpaceId 不能为空");
  if (!value.startsWith(PREFIX)) throw invalidSpace(`must start with "${PREFIX}"`);
  return value
    .slice(PREFIX.length)
    .split(";")
    .map((part) => {
      const match = /^([A-Z_]+)\.(\S+)$/.exec(part);
      if (!match) throw invalidSpace(`"${part}" is not <SPACE_TYPE>.<spaceId>`);
      const [, spaceType = "", spaceId = ""] = match;
      if (!KNOWN_TYPES.has(spaceType)) throw invalidSpace(`unknown space type ${spaceType}`);
      if (spaceType !== "IM_ROBOT" && spaceType !== "IM_GROUP") {
        throw invalidSpace(`${spaceType} is not emulated (only IM_ROBOT and IM_GROUP)`);
      }
      if (spaceType === "IM_GROUP" && !spaceId.startsWith("cid")) {
        throw invalidSpace("IM_GROUP spaceId must be an openConversationId (cid…)");
      }
      return { spaceType, spaceId };
    });
}

function invalidSpace(reason: string) {
  return paramError("param.openSpaceIdInvalid", `openSpaceId 不合法: ${reason}`);
}

/** What the deliver models say about a group delivery. */
export interface GroupDeliverOptions {
  robotCode: string;
  /** `{userId: nickName}`; `{"@ALL":"@ALL"}` for everyone. */
  atUserIds: Record<string, string>;
  /** Only these users see the card, when given. */
  recipients: string[] | undefined;
}

export interface DeliverModels {
  robotCode: string | undefined;
  group: GroupDeliverOptions | undefined;
}

/** Each space type in openSpaceId needs its own deliver model (docs/dingtalk.md §3.2, §3.3). */
export function parseDeliverModels(body: Record<string, unknown>, spaces: OpenSpace[], app: AppRecord): DeliverModels {
  checkSpaceModels(body);
  const types = new Set(spaces.map((s) => s.spaceType));
  let robotCode: string | undefined;
  if (types.has("IM_ROBOT")) {
    const model = body.imRobotOpenDeliverModel;
    if (!isRecord(model)) throw paramError("param.openDeliverModelEmpty", "imRobotOpenDeliverModel 不能为空");
    if (model.spaceType !== undefined && model.spaceType !== "IM_ROBOT") {
      throw deliverError('imRobotOpenDeliverModel.spaceType must be "IM_ROBOT"');
    }
    robotCode = checkRobotCode(model.robotCode, app, "imRobotOpenDeliverModel", false);
  }
  let group: GroupDeliverOptions | undefined;
  if (types.has("IM_GROUP")) {
    const model = body.imGroupOpenDeliverModel;
    if (!isRecord(model)) throw paramError("param.openDeliverModelEmpty", "imGroupOpenDeliverModel 不能为空");
    const code = checkRobotCode(model.robotCode, app, "imGroupOpenDeliverModel", true) ?? app.robotCode;
    group = { robotCode: code, atUserIds: stringRecord(model.atUserIds), recipients: stringList(model.recipients) };
  }
  return { robotCode, group };
}

function checkRobotCode(value: unknown, app: AppRecord, where: string, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== "string" || value === "") throw deliverError(`${where}.robotCode 不能为空`);
  if (value !== app.robotCode) throw deliverError(`${where}.robotCode ${value} is not this app's robot`);
  return value;
}

function checkSpaceModels(body: Record<string, unknown>): void {
  for (const key of ["imRobotOpenSpaceModel", "imGroupOpenSpaceModel"]) {
    if (body[key] !== undefined && !isRecord(body[key])) {
      throw paramError("param.openSpaceModelInvalid", `${key} must be an object`);
    }
  }
}

function stringRecord(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value) || Object.values(value).some((v) => typeof v !== "string")) {
    throw deliverError("imGroupOpenDeliverModel.atUserIds must be {userId: nickName}");
  }
  return value as Record<string, string>;
}

function stringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw deliverError("imGroupOpenDeliverModel.recipients must be a list of user ids");
  }
  return value as string[];
}

function deliverError(message: string) {
  return paramError("param.openDeliverModelError", message);
}
