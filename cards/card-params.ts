import type {
  CardDefinition,
  CardParams,
  CardVariable,
  CardVariableScope,
  CardVariableType,
} from "./card-definition.ts";
import { MAX_KEY_BYTES, MAX_VALUE_BYTES, truncateUtf8, utf8Bytes } from "./fit-text.ts";

/** The TypeScript value a builder supplies for a variable of the given type, before string encoding. */
export type CardVariableValue<T extends CardVariableType> = T extends "number"
  ? number | bigint
  : T extends "boolean"
    ? boolean
    : T extends "json"
      ? unknown
      : string;

type ValuesOfScope<V extends Record<string, CardVariable>, S extends CardVariableScope> = {
  [K in keyof V as V[K]["scope"] extends S ? K : never]: CardVariableValue<V[K]["type"]>;
};

/** Every public variable of a card, with its value. */
export type PublicValues<V extends Record<string, CardVariable>> = ValuesOfScope<V, "public">;
/** Every private variable of a card, with its value for one user. */
export type PrivateValues<V extends Record<string, CardVariable>> = ValuesOfScope<V, "private">;

function encodeValue(cardId: string, name: string, variable: CardVariable, value: unknown): string {
  const where = `card ${cardId}, variable ${name}`;
  switch (variable.type) {
    case "string":
    case "markdown":
      if (typeof value !== "string") throw new TypeError(`${where}: expected a string`);
      // Builders fit their texts already; this is the last guard so a value can never exceed the platform limit.
      return truncateUtf8(value, MAX_VALUE_BYTES);
    case "number":
      if (typeof value === "bigint") return value.toString();
      if (typeof value !== "number" || !Number.isFinite(value)) throw new TypeError(`${where}: expected a number`);
      return String(value);
    case "boolean":
      if (typeof value !== "boolean") throw new TypeError(`${where}: expected a boolean`);
      return value ? "true" : "false";
    case "json": {
      const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
      // Cutting JSON would make it unparseable, so an oversized value is a builder bug, not something to trim.
      if (json === undefined || utf8Bytes(json) > MAX_VALUE_BYTES) throw new RangeError(`${where}: JSON exceeds 1 KB`);
      return json;
    }
  }
}

function encodeScope(
  definition: CardDefinition,
  scope: CardVariableScope,
  values: Record<string, unknown>,
): Record<string, string> {
  const declared = Object.entries(definition.variables).filter(([, v]) => v.scope === scope);
  const undeclared = Object.keys(values).filter((key) => definition.variables[key]?.scope !== scope);
  if (undeclared.length > 0) throw new Error(`card ${definition.id}: undeclared ${scope} variables ${undeclared}`);
  const out: Record<string, string> = {};
  for (const [name, variable] of declared) {
    if (utf8Bytes(name) > MAX_KEY_BYTES) throw new RangeError(`card ${definition.id}: key ${name} exceeds 100 bytes`);
    if (!(name in values)) throw new Error(`card ${definition.id}: missing ${scope} variable ${name}`);
    out[name] = encodeValue(definition.id, name, variable, values[name]);
  }
  return out;
}

/**
 * Turns typed values into DingTalk's string-only maps (docs/dingtalk.md §3.1): numbers and booleans as "1" / "true",
 * JSON as a string, every value within 1 KB. Throws when a value is missing or not declared, so a template and
 * its builder cannot drift apart silently.
 */
export function encodeCardParams<V extends Record<string, CardVariable>>(
  definition: CardDefinition<V>,
  values: PublicValues<V>,
  privateValues?: Record<string, PrivateValues<V>>,
): CardParams {
  const def = definition as CardDefinition;
  const cardParamMap = encodeScope(def, "public", values as Record<string, unknown>);
  if (privateValues === undefined) return { cardParamMap };
  // fromEntries defines own properties, so even a userId such as "__proto__" stays an ordinary key.
  const privateParamMap = Object.fromEntries(
    Object.entries(privateValues).map(([userId, v]) => [
      userId,
      encodeScope(def, "private", v as Record<string, unknown>),
    ]),
  );
  return { cardParamMap, privateParamMap };
}
