// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${name}" is the DingTalk template placeholder syntax, not a JS template.
import { z } from "zod";
import type { CardParams } from "./card-definition.ts";
import { defineCard } from "./card-definition.ts";
import { ZText } from "./card-input.ts";
import { encodeCardParams } from "./card-params.ts";
import { fitList, MAX_VALUE_BYTES, oneLine, truncateUtf8, utf8Bytes } from "./fit-text.ts";

/** A generic notice: "your change was approved", "escalation closed", "target reassigned" and the like. */
export const noticeCard = defineCard({
  id: "notice",
  title: "通知",
  templateIdConfigKey: "DINGTALK_CARD_TEMPLATE_NOTICE",
  notSentBecause: "通知目前以聊天文字发送，不用这张卡片；沙盒页面用它的定义画通知",
  heading: "${title}",
  variables: {
    title: { type: "string", scope: "public", description: "标题" },
    body: { type: "markdown", scope: "public", description: "正文（简单 markdown），多行" },
    linkLabel: { type: "string", scope: "public", description: "链接文字；没有链接时为空" },
    linkUrl: { type: "string", scope: "public", description: "链接地址；没有链接时为空" },
  },
  layout: [{ text: "${body}" }],
  buttons: [],
  links: [{ id: "link", label: "${linkLabel}", urlVariable: "linkUrl" }],
  states: {},
});

export const ZNoticeCardInput = z.object({
  title: ZText,
  /** Markdown-ish lines; empty strings make paragraph breaks. */
  lines: z.array(z.string().max(10_000)).min(1).max(1000),
  link: z
    .object({
      label: ZText,
      // A cut URL would be a broken link, so one that cannot fit a card value is refused rather than shortened.
      url: z.url().refine((u) => utf8Bytes(u) <= MAX_VALUE_BYTES, "URL longer than 1 KB"),
    })
    .optional(),
});
export type TNoticeCardInput = z.infer<typeof ZNoticeCardInput>;

/** Builds a notice card; long bodies end with "…等N项" (N = lines). */
export function buildNoticeCard(input: TNoticeCardInput): CardParams {
  const n = ZNoticeCardInput.parse(input);
  return encodeCardParams(noticeCard, {
    title: truncateUtf8(oneLine(n.title), 200),
    body: fitList(
      n.lines.map((line) => line.trimEnd()),
      { separator: "\n", itemMaxBytes: 600 },
    ),
    linkLabel: n.link ? truncateUtf8(oneLine(n.link.label), 60) : "",
    linkUrl: n.link?.url ?? "",
  });
}

/** What 李娜 is told when step 1 of her change request is approved. */
export const noticeCardFixture: TNoticeCardInput = {
  title: "目标变更申请：第1步已同意",
  lines: [
    "**华东 · 李娜 · 2026 销售额**：420万 → 380万（-9.5%）",
    "张伟 已同意（11月23日 10:32）：注意二季度的新客户开拓",
    "",
    "下一步：等待 陈刚 审批（第2步/共2步）",
  ],
  link: { label: "查看申请", url: "http://localhost:3000/dashboard/requests/cr-2026-0012" },
};
