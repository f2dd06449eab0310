// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${name}" is the DingTalk template placeholder syntax, not a JS template.
import type { CardDefinition, CardFormField, CardVariableType } from "./card-definition.ts";

/**
 * docs/card-templates.md, generated from the definitions in cards/ (`npm run cards:spec`): for each card, what a
 * person builds in DingTalk's card platform (https://open-dev.dingtalk.com/fe/card) so that the service's
 * `cardParamMap` fits the template — variables with their types, the layout with its visibility rules, and the
 * buttons with their 回传请求 params. Pure: the same definitions always give the same text.
 */

/** The builder's variable type for each of ours; `cardParamMap` carries every value as a string (§3.1). */
const BUILDER_TYPE: Record<CardVariableType, string> = {
  string: "String（文本）",
  number: "Number（数字）",
  boolean: "Boolean（布尔）",
  markdown: "String（文本），绑定到 Markdown 组件",
  json: "Object / Array（对象，值为 JSON 文本）",
};

const ENCODING: Record<CardVariableType, string> = {
  string: "原样",
  number: '十进制数字，如 "12"',
  boolean: '"true" / "false"',
  markdown: "markdown 文字",
  json: "JSON 文本",
};

const FIELD_TYPE: Record<CardFormField["type"], string> = {
  text: "文本输入",
  amount: "文本输入（金额，如「35万」，服务端按聊天同样的规则解析）",
  number: "数字输入",
};

/** `|` would end a table cell and a newline the row: both are escaped. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, "<br>");
}

function code(text: string): string {
  return `\`${text}\``;
}

function variablesSection(def: CardDefinition): string[] {
  const lines = ["| 变量 | 作用域 | 卡片平台类型 | 服务传入的值 | 说明 |", "|---|---|---|---|---|"];
  for (const [name, v] of Object.entries(def.variables)) {
    const scope = v.scope === "public" ? "公有（cardData）" : "私有（privateData，按人）";
    lines.push(`| ${code(name)} | ${scope} | ${BUILDER_TYPE[v.type]} | ${ENCODING[v.type]} | ${cell(v.description)} |`);
  }
  return lines;
}

/** The names a `${name}` text refers to. */
function referencedVariables(text: string): string[] {
  return [...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1] ?? "");
}

function layoutSection(def: CardDefinition): string[] {
  const lines = ["| # | 组件 | 内容 | 显示条件 |", "|---|---|---|---|"];
  let n = 0;
  const row = (kind: string, text: string, when: string | undefined) =>
    lines.push(`| ${++n} | ${kind} | ${cell(text)} | ${when ? code(when) : "—"} |`);
  const isMarkdown = (text: string) =>
    text.includes("**") || referencedVariables(text).some((name) => def.variables[name]?.type === "markdown");
  row("标题", def.heading, undefined);
  for (const r of def.layout) row(isMarkdown(r.text) ? "Markdown" : "文本", r.text, r.visibleWhen);
  for (const b of def.buttons) row("按钮", `${b.label}（id ${b.id}）`, b.visibleWhen);
  for (const l of def.links) row("链接按钮", `${l.label} → \${${l.urlVariable}}`, l.visibleWhen ?? `${l.urlVariable}`);
  return lines;
}

function buttonsSection(def: CardDefinition): string[] {
  const links = def.links.map(
    (l) =>
      `- **${l.label}**（id ${code(l.id)}）：点击类型「跳转链接」，链接地址 = 变量 ${code(l.urlVariable)}；不回传。`,
  );
  if (def.buttons.length === 0) return [...links, "没有回传请求按钮：这张卡片只展示。"];
  const lines: string[] = [...links];
  for (const b of def.buttons) {
    lines.push(`- **${b.label}**（id ${code(b.id)}）：点击类型「回传请求」。`);
    const constants = Object.entries(b.actionParams).map(([k, v]) => `${code(k)} = ${code(v)}（常量）`);
    const fields = (b.form ?? []).map((f) => `${code(f.name)} = 表单「${f.label}」的输入（变量）`);
    lines.push(`  - 回传参数：${[...constants, ...fields].join("；")}`);
    for (const f of b.form ?? []) {
      const placeholder = f.placeholder ? `，占位提示「${f.placeholder}」` : "";
      lines.push(
        `  - 表单项 ${code(f.name)}：${f.label}，${FIELD_TYPE[f.type]}，${f.required ? "必填" : "选填"}${placeholder}`,
      );
    }
    if (b.visibleWhen) lines.push(`  - 显示条件：${code(b.visibleWhen)}`);
  }
  return lines;
}

function statesSection(def: CardDefinition): string[] {
  const states = Object.entries(def.states);
  if (states.length === 0) return [];
  return [
    "",
    "**状态**（变量 `status` 的取值）：",
    "",
    "| status | 显示为 | 含义 |",
    "|---|---|---|",
    ...states.map(([key, s]) => `| ${code(key)} | ${cell(s.label)} | ${cell(s.description)} |`),
  ];
}

function cardSection(def: CardDefinition): string[] {
  const use = def.notSentBecause
    ? `**可选**：服务目前不发送这张卡片（${def.notSentBecause}）。不配置 ${code(def.templateIdConfigKey)} 也能启动。`
    : `**必需**：发布后把模板 ID 填入环境变量 ${code(def.templateIdConfigKey)}。`;
  return [
    `## ${def.title}（${code(def.id)}，定义在 cards/${def.id}.ts）`,
    "",
    use,
    "",
    "**变量**",
    "",
    ...variablesSection(def),
    "",
    "**布局**（自上而下；`${变量}` 即卡片平台里的变量引用）",
    "",
    ...layoutSection(def),
    "",
    "**按钮与回传请求**",
    "",
    ...buttonsSection(def),
    ...statesSection(def),
    "",
  ];
}

/** The whole document for these definitions (in the given order). */
export function renderTemplateSpec(definitions: readonly CardDefinition[]): string {
  const header = [
    "# 钉钉卡片模板规格（Card template specs）",
    "",
    "<!-- 由 `npm run cards:spec` 从 cards/ 生成，请勿手改；卡片定义改了就重新生成（测试会检查两者一致）。 -->",
    "",
    "每张卡片在钉钉卡片平台（开发者后台 → 卡片平台，https://open-dev.dingtalk.com/fe/card）按下面的规格搭建：",
    "新建模板并关联本应用，按表格创建变量（名字与类型一字不差），按布局放组件并设置显示条件，按钮的点击类型选",
    "「回传请求」并填好回传参数，最后**发布**（发布后的模板才能发送），把模板 ID（形如 `xxxx.schema`）填入对应",
    "的环境变量。服务发卡片时用 `callbackType: STREAM`，按钮的回传经 Stream 连接送回，无需配置回调地址。",
    "",
    "- 变量的值一律以字符串传入 `cardParamMap`；数字、布尔按表中写法编码。私有变量只写给某个人（如 `canAct`",
    "  只给负责人 true，转发的卡片和协同负责人看到的卡片因此没有按钮）。",
    "- 显示条件的写法：`status == 'pending' && canAct` 表示 status 等于 pending 且 canAct 为真；布尔变量在",
    "  卡片平台里按「为 true」设置。",
    "- 布局里显示条件为「—」的行，在它引用的变量全为空时不显示（卡片平台里设为「变量不为空时显示」）。",
    "- 表单项的值随回传请求一起送回，参数名即表单项名；服务只认表中列出的参数，多出的参数会被拒绝。",
    "- **模板 JSON 导入**：钉钉没有公开文档说明卡片模板的 JSON 导入格式，因此这里不生成 JSON，只给出搭建规格。",
    "",
    "| 卡片 | 环境变量 | 是否必需 |",
    "|---|---|---|",
    ...definitions.map(
      (d) =>
        `| ${d.title}（${code(d.id)}） | ${code(d.templateIdConfigKey)} | ${d.notSentBecause ? "可选（目前不发送）" : "必需"} |`,
    ),
    "",
  ];
  return [...header, ...definitions.flatMap(cardSection)].join("\n");
}
