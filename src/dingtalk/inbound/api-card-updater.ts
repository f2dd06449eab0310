import type { CardUpdateBody } from "../openapi-client.ts";
import { enqueue } from "../outbox/enqueue.ts";
import type { CardUpdater, QueuedCardUpdate } from "./inbound-types.ts";

/**
 * The `PUT /v1.0/card/instances` body for a callback-style response (docs/dingtalk.md §3.4 vs §3.6): the update API
 * has no "the clicking user", so `userPrivateData` becomes `privateData[userId]`, and the options are named
 * the same.
 */
export function cardUpdateBody(input: Omit<QueuedCardUpdate, "key">): CardUpdateBody {
  const { update } = input;
  return {
    outTrackId: input.outTrackId,
    ...(update.cardData ? { cardData: update.cardData } : {}),
    ...(update.userPrivateData ? { privateData: { [input.userId]: update.userPrivateData } } : {}),
    ...(update.cardUpdateOptions ? { cardUpdateOptions: update.cardUpdateOptions } : {}),
    userIdType: input.userIdType,
  };
}

/**
 * A {@link CardUpdater} over the update API, by way of the outbox: a `card.update` row in the caller's
 * transaction, sent by the outbox worker after the card's create and its earlier updates (`claimDue` orders the
 * rows of one outTrackId).
 */
export function createApiCardUpdater(opts: { wake?: () => void } = {}): CardUpdater {
  return {
    async enqueue(tx, input) {
      await enqueue(tx, { idempotencyKey: input.key, kind: "card.update", payload: cardUpdateBody(input) });
    },
    ...(opts.wake ? { wake: opts.wake } : {}),
  };
}
