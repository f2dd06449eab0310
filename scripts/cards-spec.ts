/**
 * `npm run cards:spec`: writes docs/card-templates.md, the template spec of every card in cards/ that a person
 * reproduces in DingTalk's card platform. test/integration/card-templates-doc.test.ts fails when it is stale.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cardDefinitions } from "../cards/index.ts";
import { renderTemplateSpec } from "../cards/render-template-spec.ts";

const target = fileURLToPath(new URL("../docs/card-templates.md", import.meta.url));
writeFileSync(target, renderTemplateSpec(Object.values(cardDefinitions)));
console.log(`wrote ${target}`);
