import { approvalCard } from "./approval.ts";
import type { CardDefinition } from "./card-definition.ts";
import { digestCard } from "./digest.ts";
import { escalationCard } from "./escalation.ts";
import { noticeCard } from "./notice.ts";
import { progressCard } from "./progress.ts";
import { targetCard } from "./target.ts";

/**
 * Every card the bot sends, by id. The DingTalk layer looks up `templateIdConfigKey` here to find the
 * production template; the sandbox page looks up the definition to draw a card it received.
 */
export const cardDefinitions = {
  target: targetCard,
  progress: progressCard,
  escalation: escalationCard,
  approval: approvalCard,
  digest: digestCard,
  notice: noticeCard,
} as const satisfies Record<string, CardDefinition>;

export type CardId = keyof typeof cardDefinitions;

/** The definition for a card id from outside (a stored card row, a sandbox request); undefined if unknown. */
export function findCardDefinition(id: string): CardDefinition | undefined {
  return Object.hasOwn(cardDefinitions, id) ? cardDefinitions[id as CardId] : undefined;
}

export * from "./approval.ts";
export * from "./card-action.ts";
export type * from "./card-definition.ts";
export { checkCardParams } from "./check-card-params.ts";
export * from "./digest.ts";
export * from "./escalation.ts";
export * from "./notice.ts";
export * from "./progress.ts";
export type { RenderedButton, RenderedCard } from "./render-text.ts";
export { renderCardText } from "./render-text.ts";
export * from "./target.ts";
