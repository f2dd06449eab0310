import type { CardDefinition, CardFormField } from "./card-definition.ts";
import { evaluateVisibleWhen } from "./visible-when.ts";

export interface RenderedButton {
  id: string;
  label: string;
  /** What a click sends back as `cardPrivateData.params` (form values are added under the field names). */
  params: Record<string, string>;
  form?: CardFormField[];
}

export interface RenderedCard {
  title: string;
  lines: string[];
  buttons: RenderedButton[];
  links: { id: string; label: string; url: string }[];
  status?: { state: string; label: string; text: string };
}

const PLACEHOLDER = /\$\{(\w+)\}/g;

/** Replaces `${name}` like a DingTalk template does: a missing variable renders as empty. */
export function interpolate(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (_match, name: string) => vars[name] ?? "");
}

/** The variable names a layout text refers to. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "");
}

function renderLines(definition: CardDefinition, vars: Readonly<Record<string, string>>): string[] {
  const lines: string[] = [];
  for (const row of definition.layout) {
    if (!evaluateVisibleWhen(row.visibleWhen, vars)) continue;
    const names = placeholders(row.text);
    // Like the template's "hide when empty": a row with variables but no values would be a dangling label.
    if (names.length > 0 && names.every((name) => (vars[name] ?? "") === "")) continue;
    lines.push(...interpolate(row.text, vars).split("\n"));
  }
  return lines;
}

function renderStatus(definition: CardDefinition, vars: Readonly<Record<string, string>>): RenderedCard["status"] {
  const state = vars.status;
  if (state === undefined || state === "") return undefined;
  const label = definition.states[state]?.label ?? state;
  return { state, label, text: vars.statusText || label };
}

/**
 * Draws a card as plain text for the sandbox page and tests, from the same definition and maps that go to
 * DingTalk: rows, visible buttons and links for one viewer (`privateParamMap` is that viewer's private map).
 */
export function renderCardText(
  definition: CardDefinition,
  cardParamMap: Readonly<Record<string, string>>,
  privateParamMap: Readonly<Record<string, string>> = {},
): RenderedCard {
  const vars = { ...cardParamMap, ...privateParamMap };
  const buttons = definition.buttons
    .filter((b) => evaluateVisibleWhen(b.visibleWhen, vars))
    .map((b) => ({
      id: b.id,
      label: b.label,
      params: { ...b.actionParams },
      ...(b.form ? { form: [...b.form] } : {}),
    }));
  const links = definition.links
    .filter((l) => evaluateVisibleWhen(l.visibleWhen, vars) && (vars[l.urlVariable] ?? "") !== "")
    .map((l) => ({ id: l.id, label: interpolate(l.label, vars) || "打开链接", url: vars[l.urlVariable] ?? "" }));
  const status = renderStatus(definition, vars);
  const title = interpolate(definition.heading, vars).trim() || definition.title;
  return { title, lines: renderLines(definition, vars), buttons, links, ...(status ? { status } : {}) };
}
