import { paramError } from "./api-errors.ts";
import type { AppRecord } from "./app-registry.ts";
import { type CardCreateInput, parseUserIdType, type ToUserId } from "./card-input.ts";
import type { CardRecord } from "./card-store.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import { newOpaqueKey } from "./ids.ts";
import type { DeliverModels, OpenSpace } from "./open-space.ts";

/** One entry of `deliverResults` (docs/dingtalk.md §3.3). */
export interface DeliverResult {
  spaceType: string;
  spaceId: string;
  success: boolean;
  carrierId: string;
  errorMsg: string;
}

/** Translates ids of a request's `userIdType` to userIds: unionIds (2) through the directory (docs/dingtalk.md §3.2). */
export function userIdMapper(core: EmulatorCore, userIdType: unknown): ToUserId {
  return parseUserIdType(userIdType) === 2 ? (id) => core.directory.userIdOfUnion(id) ?? id : (id) => id;
}

/** A fresh, undelivered card instance owned by `app`. */
export function newCard(core: EmulatorCore, app: AppRecord, input: CardCreateInput): CardRecord {
  const now = core.clock.now();
  return {
    outTrackId: input.outTrackId,
    clientId: app.clientId,
    cardTemplateId: input.cardTemplateId,
    callbackType: input.callbackType,
    callbackRouteKey: input.callbackRouteKey,
    userIdType: input.userIdType,
    publicData: input.cardParamMap,
    privateData: input.privateData,
    deliveries: [],
    createdAt: now,
    updatedAt: now,
    updates: [],
  };
}

/** With a directory loaded, IM_ROBOT recipients must exist: 400 param.userIdNotExist (docs/dingtalk.md §3.3). */
export function checkRecipients(core: EmulatorCore, spaces: OpenSpace[], toUserId: ToUserId): void {
  if (!core.directory.hasUsers()) return;
  for (const space of spaces) {
    if (space.spaceType === "IM_ROBOT" && !core.directory.user(toUserId(space.spaceId))) {
      throw paramError("param.userIdNotExist", `用户不存在: ${space.spaceId}`);
    }
  }
}

/** Puts the card into each space's chat and into the recipients' inboxes. */
export function deliverCard(
  core: EmulatorCore,
  card: CardRecord,
  spaces: OpenSpace[],
  models: DeliverModels,
  toUserId: ToUserId,
): DeliverResult[] {
  return spaces.map((space) => {
    const carrierId = newOpaqueKey();
    const payload = { kind: "card" as const, outTrackId: card.outTrackId, ...space };
    if (space.spaceType === "IM_ROBOT") {
      const userId = toUserId(space.spaceId);
      const conversation = core.conversations.direct(card.clientId, userId);
      core.conversations.append(conversation, [userId], payload);
      card.deliveries.push({
        ...space,
        conversationId: conversation.id,
        carrierId,
        robotCode: models.robotCode,
        at: core.clock.now(),
      });
    } else {
      const group = models.group!;
      const conversation = core.conversations.group(card.clientId, space.spaceId);
      const atUsers = Object.keys(group.atUserIds).filter((id) => id !== "@ALL");
      for (const id of atUsers) conversation.members.add(id);
      // `recipients` limits who sees the card in the group; otherwise every known member does.
      const recipients = group.recipients ?? [...conversation.members];
      core.conversations.append(conversation, recipients, payload);
      card.deliveries.push({
        ...space,
        conversationId: conversation.id,
        carrierId,
        robotCode: group.robotCode,
        at: core.clock.now(),
      });
    }
    return { spaceType: space.spaceType, spaceId: space.spaceId, success: true, carrierId, errorMsg: "" };
  });
}
