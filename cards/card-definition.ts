/**
 * The shape every card in `cards/` is described with. A definition is the single source for three consumers:
 * whoever builds the production template in DingTalk's card platform (variable names, types, buttons and their
 * "回传请求" params), the builders that fill `cardParamMap`, and the sandbox page, which draws cards from the same
 * definition through `renderCardText`.
 *
 * Conventions every definition follows:
 * - a card with states declares the public variables `status` (a key of `states`) and `statusText` (what the
 *   viewer reads, e.g. "已确认 · 11月23日 10:32");
 * - `canAct` (private, boolean) is set to "true" only in the private data of the person who may press the
 *   buttons, so a forwarded card or a co-owner's copy shows no buttons (the flows still check the clicker).
 */

/** How a value is encoded into the string-only `cardParamMap` (docs/dingtalk.md §3.1). */
export type CardVariableType = "string" | "number" | "boolean" | "markdown" | "json";

/** `public` goes to `cardData.cardParamMap`; `private` to `privateData[userId].cardParamMap`. */
export type CardVariableScope = "public" | "private";

export interface CardVariable {
  type: CardVariableType;
  description: string;
  scope: CardVariableScope;
}

/** One input of a button's form; its value arrives in the callback params under `name`, as typed. */
export interface CardFormField {
  name: string;
  label: string;
  /** `amount` is free text such as "35万" (parsed like chat); `number` a plain count. */
  type: "text" | "amount" | "number";
  required: boolean;
  placeholder?: string;
}

export interface CardButton {
  id: string;
  label: string;
  /** The constant params of the "回传请求" click; form values are added under the field names. */
  actionParams: Readonly<Record<string, string>>;
  form?: readonly CardFormField[];
  /** Expression over variables (see `visible-when.ts`), e.g. "status == 'pending' && canAct". */
  visibleWhen?: string;
}

/** A link component; the URL comes from a variable so the template stays environment-independent. */
export interface CardLink {
  id: string;
  /** May use `${name}`. */
  label: string;
  urlVariable: string;
  visibleWhen?: string;
}

/**
 * One text row of the card as the template lays it out; `${name}` refers to a variable, exactly as DingTalk
 * templates do. A row whose variables are all empty is not shown.
 */
export interface CardLayoutRow {
  text: string;
  visibleWhen?: string;
}

export interface CardState {
  /** Short name of the state, e.g. "待确认". */
  label: string;
  description: string;
}

export interface CardDefinition<V extends Record<string, CardVariable> = Record<string, CardVariable>> {
  id: string;
  title: string;
  /** Name of the configuration entry that holds the production template id (`….schema`). */
  templateIdConfigKey: string;
  /**
   * Set when the service sends no card of this kind today, saying why: its production template is then optional
   * (src/config.ts) and docs/card-templates.md marks it so. Unset = the service sends it and needs its template.
   */
  notSentBecause?: string;
  /** Heading row (may use `${name}`). */
  heading: string;
  variables: V;
  layout: readonly CardLayoutRow[];
  buttons: readonly CardButton[];
  links: readonly CardLink[];
  states: Readonly<Record<string, CardState>>;
}

/** Public and per-user private data of a card, strings only, ready for createAndDeliver / update. */
export interface CardParams {
  cardParamMap: Record<string, string>;
  /** userId → that user's private `cardParamMap`. */
  privateParamMap?: Record<string, Record<string, string>>;
}

/** Declares a card while keeping the literal variable names, so builders are checked against them. */
export function defineCard<const V extends Record<string, CardVariable>>(
  definition: CardDefinition<V>,
): CardDefinition<V> {
  return definition;
}
