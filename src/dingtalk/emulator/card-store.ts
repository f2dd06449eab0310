/** `cardParamMap`: strings only (docs/dingtalk.md §3.1). */
export type ParamMap = Record<string, string>;

/** The space types the emulator delivers to (docs/dingtalk.md §3.2). */
export type SpaceType = "IM_ROBOT" | "IM_GROUP";

/** One delivery of a card into a chat. */
export interface CardDelivery {
  spaceType: SpaceType;
  /** As given in openSpaceId (userId/unionId for IM_ROBOT, openConversationId for IM_GROUP). */
  spaceId: string;
  conversationId: string;
  /** `carrierId` of the deliver result (= processQueryKey for IM spaces, docs/dingtalk.md §3.3). */
  carrierId: string;
  robotCode: string | undefined;
  at: number;
}

/** A change to a card; without the `…ByKey` options the maps are replaced (docs/dingtalk.md §3.4). */
export interface CardUpdate {
  cardParamMap?: ParamMap;
  /** Per-user private data, keyed by userId. */
  privateData?: Record<string, ParamMap>;
  updateCardDataByKey?: boolean;
  updatePrivateDataByKey?: boolean;
}

export interface CardUpdateLog {
  at: number;
  source: "api" | "callback";
  /** The clicking user, for callback updates. */
  userId?: string;
  update: CardUpdate;
}

/** A card instance: template + public data + private data per user (docs/dingtalk.md §3.1). */
export interface CardRecord {
  outTrackId: string;
  clientId: string;
  cardTemplateId: string;
  /** `STREAM` cards call back over the stream; anything else does not (docs/dingtalk.md §3.1). */
  callbackType: string | undefined;
  callbackRouteKey: string | undefined;
  userIdType: 1 | 2;
  publicData: ParamMap;
  /** Keyed by userId (unionIds are translated on the way in). */
  privateData: Record<string, ParamMap>;
  deliveries: CardDelivery[];
  createdAt: number;
  updatedAt: number;
  updates: CardUpdateLog[];
}

/** What one user sees of a card. */
export interface ResolvedCardData {
  publicData: ParamMap;
  privateData: ParamMap;
  /** Public data overlaid with the user's private data — the values the template renders. */
  data: ParamMap;
}

/**
 * Create calls per outTrackId. DingTalk refuses a second create of an outTrackId (400 `param.cardAlreadyExist`),
 * so the card list cannot show that a sender sent a card twice; this count can.
 */
export interface CardCreateCounts {
  /** Create calls that named an outTrackId (createAndDeliver and create), whatever they were answered. */
  creates: number;
  /** Distinct outTrackIds among them. */
  outTrackIds: number;
  /** creates − outTrackIds: calls that repeated an outTrackId already created or tried. */
  duplicates: number;
  /** The repeated outTrackIds with their call counts (the first 20). */
  repeated: { outTrackId: string; creates: number }[];
}

export interface CardStore {
  add(card: CardRecord): void;
  get(outTrackId: string): CardRecord | undefined;
  list(): CardRecord[];
  /** Counts a create call for `outTrackId`; call it before deciding whether the card already exists. */
  countCreate(outTrackId: string): void;
  createCounts(): CardCreateCounts;
  clear(): void;
}

/** Cards by outTrackId, in memory. */
export function createCardStore(): CardStore {
  const cards = new Map<string, CardRecord>();
  const creates = new Map<string, number>();
  return {
    add(card) {
      cards.set(card.outTrackId, card);
    },
    get: (outTrackId) => cards.get(outTrackId),
    list: () => [...cards.values()],
    countCreate(outTrackId) {
      creates.set(outTrackId, (creates.get(outTrackId) ?? 0) + 1);
    },
    createCounts() {
      const total = [...creates.values()].reduce((a, b) => a + b, 0);
      const repeated = [...creates].filter(([, n]) => n > 1).map(([outTrackId, n]) => ({ outTrackId, creates: n }));
      return {
        creates: total,
        outTrackIds: creates.size,
        duplicates: total - creates.size,
        repeated: repeated.slice(0, 20),
      };
    },
    clear() {
      cards.clear();
      creates.clear();
    },
  };
}

/** Applies an update in place: replace, or merge by key when the option says so (docs/dingtalk.md §3.4, §3.6). */
export function applyCardUpdate(card: CardRecord, update: CardUpdate, log: Omit<CardUpdateLog, "update">): void {
  if (update.cardParamMap !== undefined) {
    card.publicData = update.updateCardDataByKey
      ? { ...card.publicData, ...update.cardParamMap }
      : { ...update.cardParamMap };
  }
  for (const [userId, map] of Object.entries(update.privateData ?? {})) {
    card.privateData[userId] = update.updatePrivateDataByKey ? { ...card.privateData[userId], ...map } : { ...map };
  }
  card.updatedAt = log.at;
  card.updates.push({ ...log, update: structuredClone(update) });
}

/** The card as `userId` sees it: public data with their private data on top. */
export function resolveCardFor(card: CardRecord, userId: string): ResolvedCardData {
  const privateData = { ...card.privateData[userId] };
  return { publicData: { ...card.publicData }, privateData, data: { ...card.publicData, ...privateData } };
}

/** True when an update would change nothing (an empty callback response leaves the card as it is). */
export function isEmptyUpdate(update: CardUpdate): boolean {
  return update.cardParamMap === undefined && Object.keys(update.privateData ?? {}).length === 0;
}
