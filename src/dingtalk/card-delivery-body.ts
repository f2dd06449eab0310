import type { CardParams } from "../../cards/card-definition.ts";
import type { CardUpdate } from "./inbound/inbound-types.ts";

/**
 * The `POST /v1.0/card/instances/createAndDeliver` body for a card in one person's 1:1 chat with the bot
 * (docs/dingtalk.md §3.3): STREAM callbacks, so clicks come back over the stream connection; private maps keyed by
 * userId as the API expects.
 */
export function createAndDeliverBody(a: {
  templateId: string;
  outTrackId: string;
  card: CardParams;
  userId: string;
  robotCode: string;
}): Record<string, unknown> & { outTrackId: string } {
  return {
    cardTemplateId: a.templateId,
    outTrackId: a.outTrackId,
    callbackType: "STREAM",
    cardData: { cardParamMap: a.card.cardParamMap },
    privateData: Object.fromEntries(
      Object.entries(a.card.privateParamMap ?? {}).map(([userId, map]) => [userId, { cardParamMap: map }]),
    ),
    openSpaceId: `dtv1.card//IM_ROBOT.${a.userId}`,
    imRobotOpenSpaceModel: { supportForward: false },
    imRobotOpenDeliverModel: { spaceType: "IM_ROBOT", robotCode: a.robotCode },
    userIdType: 1,
  };
}

/**
 * A card's new data as a callback answer (or, through `cardUpdateBody`, an update): public data for everyone,
 * `userId`'s private data for them, both merged by key.
 */
export function cardParamsUpdate(card: CardParams, userId: string): CardUpdate {
  return {
    cardData: { cardParamMap: card.cardParamMap },
    userPrivateData: { cardParamMap: card.privateParamMap?.[userId] ?? {} },
    cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
  };
}
