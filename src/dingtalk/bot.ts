/**
 * What flows may use of the bot (src/flows/ imports only this and src/dingtalk/outbound.ts): the shapes of
 * intents, card actions and their contexts, and the two ways a card click answers — the card's new data, or a
 * notice line for the clicker.
 */
export { cardParamsUpdate } from "./card-delivery-body.ts";
export type {
  BotHandlers,
  CardAction,
  CardContext,
  CardHandler,
  CardUpdate,
  ClaimProbe,
  Intent,
  TextContext,
  TextHandler,
} from "./inbound/inbound-types.ts";
export { noticeUpdate } from "./inbound/run-card-action.ts";
