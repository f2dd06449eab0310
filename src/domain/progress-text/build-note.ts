import { CUT, KEYWORDS, MASK } from "./vocabulary.ts";

/* The note: what a progress message says besides its figures ("主要是老客户复购"). */

const NOTE_SEPARATOR = new RegExp(
  `[${CUT};!?~、|/\\\\()\\[\\]{}"'“”‘’…—_=*#@&^<>《》「」『』【】。\\n\\r\\t]|(?<![0-9])[.,:]|[.,:](?![0-9])|[-+](?![0-9])`,
  "g",
);
const EDGE_LEAD = new RegExp(`^(?:[\\s${MASK}]|一共|总共|合计|共|了|是|为|约|把)+`);
const EDGE_TRAIL = new RegExp(`(?:[\\s${MASK}]|左右|上下|出头|[共了哈啊呀吧哦噢嗯呢啦嘛的哟呗喔])+$`);
const JUNK_PIECES = new Set(["单", "单子", "的单", "一单", "这单", "元", "块", "万"]);

/**
 * What is left once figures, corrections and keywords are taken out: "35万，主要是老客户复购" → "主要是老客户复购".
 * `cut` is `src` with figures blanked by {@link CUT} and periods by {@link MASK}; a piece made only of periods and
 * keywords ("本周", "完成了", "哈") is dropped, the others are kept as typed, joined with "，".
 */
export function buildNote(src: string, cut: string): string | undefined {
  const pieces: string[] = [];
  let from = 0;
  for (const separator of [...cut.matchAll(NOTE_SEPARATOR), undefined]) {
    const to = separator?.index ?? cut.length;
    const piece = cut.slice(from, to);
    from = to + (separator?.[0].length ?? 0);
    const lead = EDGE_LEAD.exec(piece)?.[0].length ?? 0;
    const trail = EDGE_TRAIL.exec(piece.slice(lead))?.[0].length ?? 0;
    const kept = src.slice(to - piece.length + lead, to - trail).replace(/\s+/g, " ");
    const meaning = piece
      .slice(lead, piece.length - trail)
      .replaceAll(MASK, "")
      .replace(KEYWORDS, "")
      .trim();
    if (meaning !== "" && !JUNK_PIECES.has(kept)) pieces.push(kept);
  }
  return pieces.length > 0 ? pieces.join("，") : undefined;
}
