import type { CardUpdate, CardUpdater } from "./inbound-types.ts";

/** The one call this needs; `OpenApiClient` (openapi-client.ts) has it. */
export interface CardUpdateApi {
  updateCard(body: Record<string, unknown> & { outTrackId: string }): Promise<unknown>;
}

/**
 * The `PUT /v1.0/card/instances` body for a callback-style response (PLATFORM.md §3.4 vs §3.6): the update API
 * has no "the clicking user", so `userPrivateData` becomes `privateData[userId]`, and the options are named
 * the same.
 */
export function cardUpdateBody(input: {
  outTrackId: string;
  userId: string;
  userIdType: number;
  update: CardUpdate;
}): Record<string, unknown> & { outTrackId: string } {
  const { update } = input;
  return {
    outTrackId: input.outTrackId,
    ...(update.cardData ? { cardData: update.cardData } : {}),
    ...(update.userPrivateData ? { privateData: { [input.userId]: update.userPrivateData } } : {}),
    ...(update.cardUpdateOptions ? { cardUpdateOptions: update.cardUpdateOptions } : {}),
    userIdType: input.userIdType,
  };
}

/** A {@link CardUpdater} over the OpenAPI client (later: over the outbox, same interface). */
export function createApiCardUpdater(api: CardUpdateApi): CardUpdater {
  return {
    async updateCard(input) {
      await api.updateCard(cardUpdateBody(input));
    },
  };
}
