import { type CardId, cardDefinitions } from "../../cards/index.ts";
import type { Config } from "../config.ts";
import { AppError } from "../lib/errors.ts";

/**
 * A card's template id in sandbox mode: the emulator accepts any id, so it simply names the definition and the
 * sandbox page (src/sandbox/card-templates.ts) can render the card from the same definition.
 */
export function sandboxTemplateId(cardId: CardId): string {
  return `sandbox-${cardId}.schema`;
}

/**
 * The DingTalk template id of a card: in sandbox mode one the emulator and the sandbox page understand; in
 * production the one configured for it (built in DingTalk's card platform from the definition in cards/).
 */
export function cardTemplateId(config: Pick<Config, "sandbox" | "cardTemplates">, cardId: CardId): string {
  if (config.sandbox) return sandboxTemplateId(cardId);
  const key = cardDefinitions[cardId].templateIdConfigKey;
  const id = config.cardTemplates[key];
  if (!id) {
    throw new AppError(
      "CONFLICT",
      `未配置卡片模板：请设置环境变量 ${key}（在钉钉卡片平台按 cards/${cardId}.ts 搭建并发布模板后填入模板ID）`,
    );
  }
  return id;
}
