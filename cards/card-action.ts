import { z } from "zod";

/**
 * What a card button or form sends back as `cardPrivateData.params` (docs/domain.md "Card actions"), one
 * discriminated union per card. The outTrackId already says which target, period or request a click is about,
 * so the params carry only the choice and what was typed. Amounts stay the text the person typed ("35万"):
 * the inbound layer parses them exactly like chat replies.
 *
 * The objects are strict: the params are entirely defined by our own templates, so an unknown key means a
 * template out of step with this file or a forged click, and the clicker is told rather than half-understood.
 */

const MAX_TEXT = 500;
const MAX_TYPED_NUMBER = 40;
// Arabic digits or Chinese numerals (incl. 大写): "35万", "三十五万", "叁拾伍万" — anything else is not an amount.
const HAS_NUMERAL = /[0-9０-９零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]/;

/** DingTalk inputs send "" (some components null) for a field left empty: that means "not given". */
function blankToUndefined(value: unknown): unknown {
  return value === null || (typeof value === "string" && value.trim() === "") ? undefined : value;
}

function requiredText(label: string) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? `请填写${label}` : `${label}必须是文字`) })
    .trim()
    .min(1, `请填写${label}`)
    .max(MAX_TEXT, `${label}最多${MAX_TEXT}字`);
}

function optionalText(label: string) {
  return z.preprocess(
    blankToUndefined,
    z
      .string({ error: `${label}必须是文字` })
      .trim()
      .max(MAX_TEXT)
      .optional(),
  );
}

/** A number as typed; a numeric input component may send a JSON number, which becomes its text. */
function typedNumber(label: string) {
  return z
    .union([z.string(), z.number().finite()], {
      error: (iss) => (iss.input === undefined ? `请填写${label}` : `${label}格式不对`),
    })
    .transform((v) => String(v).trim())
    .pipe(
      z
        .string()
        .min(1, `请填写${label}`)
        .max(MAX_TYPED_NUMBER, `${label}太长了`)
        .regex(HAS_NUMERAL, `${label}里没有数字，例如写「35万」`),
    );
}

function optionalTypedNumber(label: string) {
  return z.preprocess(blankToUndefined, typedNumber(label).optional());
}

function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === "unrecognized_keys" ? `按钮参数里有无法识别的字段：${iss.keys.join("、")}` : undefined,
  });
}

const UNSUPPORTED = { error: "这张卡片不支持这个操作" };

export const ZTargetCardAction = z.discriminatedUnion(
  "action",
  [
    strict({ action: z.literal("confirm") }),
    strict({ action: z.literal("dispute"), reason: requiredText("异议原因"), amount: typedNumber("建议目标") }),
  ],
  UNSUPPORTED,
);
export type TTargetCardAction = z.output<typeof ZTargetCardAction>;

export const ZProgressCardAction = z.discriminatedUnion(
  "action",
  [
    strict({
      action: z.literal("report"),
      amount: typedNumber("完成金额"),
      newCustomers: optionalTypedNumber("新客户数"),
      note: optionalText("备注"),
    }),
  ],
  UNSUPPORTED,
);
export type TProgressCardAction = z.output<typeof ZProgressCardAction>;

export const ZEscalationCardAction = z.discriminatedUnion(
  "action",
  [
    strict({ action: z.literal("coach") }),
    strict({ action: z.literal("adjust") }),
    strict({ action: z.literal("ack") }),
  ],
  UNSUPPORTED,
);
export type TEscalationCardAction = z.output<typeof ZEscalationCardAction>;

export const ZApprovalCardAction = z.discriminatedUnion(
  "action",
  [
    strict({ action: z.literal("approve"), comment: optionalText("审批意见") }),
    strict({ action: z.literal("reject"), comment: optionalText("审批意见") }),
  ],
  UNSUPPORTED,
);
export type TApprovalCardAction = z.output<typeof ZApprovalCardAction>;

/** The action schema of every card that has buttons, by card id. */
export const cardActionSchemas = {
  target: ZTargetCardAction,
  progress: ZProgressCardAction,
  escalation: ZEscalationCardAction,
  approval: ZApprovalCardAction,
} as const;

export type ActionableCardId = keyof typeof cardActionSchemas;

/** A validated click: which card, and its params. */
export type TCardAction = {
  [K in ActionableCardId]: { card: K; params: z.output<(typeof cardActionSchemas)[K]> };
}[ActionableCardId];

export type CardActionResult =
  | { ok: true; action: TCardAction }
  | { ok: false; message: string; issues: z.core.$ZodIssue[] };

function isActionable(cardId: string): cardId is ActionableCardId {
  return Object.hasOwn(cardActionSchemas, cardId);
}

/**
 * Validates the params of a click on a card of kind `cardId`. On failure `message` is a sentence for the
 * clicker (Chinese) and `issues` the details for the log.
 */
export function parseCardAction(cardId: string, params: unknown): CardActionResult {
  if (!isActionable(cardId)) return { ok: false, message: "这张卡片没有可操作的按钮", issues: [] };
  const parsed = cardActionSchemas[cardId].safeParse(params);
  if (!parsed.success) {
    return { ok: false, message: parsed.error.issues[0]?.message ?? "按钮参数无效", issues: parsed.error.issues };
  }
  return { ok: true, action: { card: cardId, params: parsed.data } as TCardAction };
}
