// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${name}" is the DingTalk template placeholder syntax, not a JS template.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CardDefinition, CardFormField } from "../../cards/card-definition.ts";
import { cardActionSchemas, cardDefinitions, parseCardAction, targetCard } from "../../cards/index.ts";
import { renderTemplateSpec } from "../../cards/render-template-spec.ts";

const DOC = new URL("../../docs/card-templates.md", import.meta.url);
const definitions: CardDefinition[] = Object.values(cardDefinitions);

/** What a person would type into each kind of form field. */
const SAMPLE: Record<CardFormField["type"], string> = { text: "大客户项目延期", amount: "35万", number: "2" };

/** A text as a table cell shows it. */
const asCell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, "<br>");

describe("docs/card-templates.md (npm run cards:spec)", () => {
  it("is what the card definitions in cards/ generate today — else run `npm run cards:spec`", () => {
    const checkedIn = readFileSync(DOC, "utf8");
    expect(checkedIn, "docs/card-templates.md is stale: run `npm run cards:spec` and commit it").toBe(
      renderTemplateSpec(definitions),
    );
  });

  it("goes stale when a definition changes: a renamed variable, a new button param or a new row shows in the text", () => {
    const { canAct, ...others } = targetCard.variables;
    const changed: CardDefinition = {
      ...targetCard,
      variables: { ...others, mayAct: canAct },
      buttons: [{ ...targetCard.buttons[0]!, actionParams: { action: "confirm", source: "card" } }],
      layout: [...targetCard.layout, { text: "截止：${dueText}" }],
    };
    const before = renderTemplateSpec([targetCard]);
    const after = renderTemplateSpec([changed]);
    expect(after).not.toBe(before);
    expect(before).toContain("| `canAct` |");
    expect(after).not.toContain("| `canAct` |");
    expect(after).toContain("| `mayAct` |");
    expect(after).toContain("`source` = `card`（常量）");
    expect(after).toContain("截止：${dueText}");
  });

  it("names, for every card, each variable with its type and scope, each row, button, form field and rule", () => {
    const doc = renderTemplateSpec(definitions);
    for (const def of definitions) {
      const section = doc.slice(doc.indexOf(`## ${def.title}（\`${def.id}\``));
      const own = section.slice(0, section.indexOf("\n## ", 3) === -1 ? undefined : section.indexOf("\n## ", 3));
      expect(own, def.id).toContain(`\`${def.templateIdConfigKey}\``);
      for (const [name, v] of Object.entries(def.variables)) {
        const line = own.split("\n").find((l) => l.startsWith(`| \`${name}\` |`));
        expect(line, `${def.id}.${name}`).toBeDefined();
        expect(line).toContain(v.scope === "public" ? "公有" : "私有");
        expect(line).toContain(
          { string: "String", markdown: "Markdown", number: "Number", boolean: "Boolean", json: "Object" }[v.type],
        );
      }
      for (const row of def.layout) expect(own, def.id).toContain(asCell(row.text));
      for (const b of def.buttons) {
        for (const [k, v] of Object.entries(b.actionParams)) expect(own).toContain(`\`${k}\` = \`${v}\`（常量）`);
        for (const f of b.form ?? []) expect(own).toContain(`\`${f.name}\` = 表单「${f.label}」的输入（变量）`);
        if (b.visibleWhen) expect(own).toContain(`显示条件：\`${b.visibleWhen}\``);
      }
      for (const l of def.links) expect(own).toContain(`链接地址 = 变量 \`${l.urlVariable}\``);
      if (def.notSentBecause) expect(own).toContain("**可选**");
      else expect(own).toContain("**必需**");
    }
  });

  it("documents exactly the 回传请求 params the service accepts: each button's params, filled in, parse as that card's action", () => {
    for (const [cardId, def] of Object.entries(cardDefinitions)) {
      const buttons: CardDefinition["buttons"] = def.buttons;
      if (!(cardId in cardActionSchemas)) {
        expect(buttons, `${cardId} has buttons but no action schema`).toHaveLength(0);
        continue;
      }
      expect(buttons.length, cardId).toBeGreaterThan(0);
      for (const b of buttons) {
        const params = Object.fromEntries([
          ...Object.entries(b.actionParams),
          ...(b.form ?? []).map((f) => [f.name, SAMPLE[f.type]]),
        ]);
        const parsed = parseCardAction(cardId, params);
        expect(parsed.ok, `${cardId}.${b.id}: ${JSON.stringify(params)}`).toBe(true);
        // A param the doc does not list is refused: the doc is the whole contract.
        expect(parseCardAction(cardId, { ...params, extra: "x" }).ok, `${cardId}.${b.id} + extra`).toBe(false);
      }
    }
  });
});
