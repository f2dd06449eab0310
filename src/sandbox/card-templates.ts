import type { CardDefinition } from "../../cards/card-definition.ts";
import { findCardDefinition } from "../../cards/index.ts";

/**
 * Card template ids. In DingTalk each card is a template built in the card platform, its id given by
 * configuration (`templateIdConfigKey` of each definition); in sandbox mode the emulator accepts any id, so the
 * id simply names the definition (sandboxTemplateId) and the sandbox page can render the card from it.
 */

/** The definition a template id stands for, when it is a sandbox id. */
export function definitionOfTemplate(templateId: string): CardDefinition | undefined {
  const m = /^sandbox-([a-z-]+)\.schema$/.exec(templateId);
  return m?.[1] ? (findCardDefinition(m[1]) as CardDefinition | undefined) : undefined;
}
