import type { CardDefinition, CardParams, CardVariable } from "./card-definition.ts";
import { MAX_KEY_BYTES, MAX_VALUE_BYTES, utf8Bytes } from "./fit-text.ts";

const NUMBER = /^-?\d+(\.\d+)?$/;

function checkValue(name: string, variable: CardVariable, value: unknown): string[] {
  if (typeof value !== "string") return [`${name}: not a string`];
  const problems: string[] = [];
  if (utf8Bytes(value) > MAX_VALUE_BYTES) problems.push(`${name}: ${utf8Bytes(value)} bytes > ${MAX_VALUE_BYTES}`);
  if (variable.type === "number" && !NUMBER.test(value)) problems.push(`${name}: not a number: ${value}`);
  if (variable.type === "boolean" && value !== "true" && value !== "false") problems.push(`${name}: not a boolean`);
  if (variable.type === "json") {
    try {
      JSON.parse(value);
    } catch {
      problems.push(`${name}: not JSON`);
    }
  }
  return problems;
}

function checkMap(definition: CardDefinition, scope: CardVariable["scope"], map: Record<string, unknown>): string[] {
  const where = scope === "public" ? "cardParamMap" : "privateData";
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(definition.variables)) {
    if (variable.scope === scope && !Object.hasOwn(map, name)) problems.push(`${where}: missing ${name}`);
  }
  for (const [name, value] of Object.entries(map)) {
    const variable = definition.variables[name];
    if (utf8Bytes(name) > MAX_KEY_BYTES) problems.push(`${where}: key ${name} > ${MAX_KEY_BYTES} bytes`);
    if (variable?.scope !== scope) problems.push(`${where}: undeclared ${name}`);
    else problems.push(...checkValue(`${where}.${name}`, variable, value));
  }
  return problems;
}

/**
 * Everything wrong with card data against its definition and DingTalk's limits (docs/dingtalk.md §3.1): missing or
 * undeclared variables, non-strings, keys over 100 bytes, values over 1 KB, badly encoded numbers / booleans /
 * JSON. Empty when all is well. Used by tests and usable by the emulator to refuse what DingTalk would refuse.
 */
export function checkCardParams(definition: CardDefinition, params: CardParams): string[] {
  const problems = checkMap(definition, "public", params.cardParamMap);
  for (const [userId, map] of Object.entries(params.privateParamMap ?? {})) {
    problems.push(...checkMap(definition, "private", map).map((p) => `${userId}: ${p}`));
  }
  return problems;
}
