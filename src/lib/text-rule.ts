/**
 * The one rule for text that comes from outside (HTTP paths, query strings, JSON bodies, CSV/xlsx cells, chat
 * messages and card params): no NUL (U+0000), no other control character except tab, line feed and carriage
 * return, no lone UTF-16 surrogate. PostgreSQL cannot store U+0000 in text at all (the insert fails with
 * `invalid byte sequence for encoding "UTF8": 0x00`), and the other characters are never meant by a person.
 * Every boundary calls `findBadChar`; none keeps its own list.
 */

/** Where the first invalid character of `s` is and what it is (e.g. "U+0000"), or undefined when clean. */
export function findBadChar(s: string): { index: number; code: string } | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue; // the common case first
    let bad = false;
    if (c < 0x20)
      bad = c !== 0x09 && c !== 0x0a && c !== 0x0d; // C0 controls except \t \n \r
    else if (c <= 0x9f)
      bad = true; // DEL and the C1 controls
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else bad = true; // a high surrogate with no low one after it
    } else if (c >= 0xdc00 && c <= 0xdfff) bad = true; // a low surrogate on its own
    if (bad) return { index: i, code: `U+${c.toString(16).toUpperCase().padStart(4, "0")}` };
  }
  return undefined;
}

/** The sentence every boundary uses for a bad character: where (a field, a cell …) and which character. */
export function badCharMessage(where: string, bad: { index: number; code: string }): string {
  return `${where} 含有无法识别的字符 ${bad.code}（第 ${bad.index + 1} 个字符）/ ${where} contains an invalid character ${bad.code} at position ${bad.index + 1}`;
}

/**
 * Walks a parsed JSON value and returns the path and character of its first invalid string (object keys
 * included), or undefined. Paths read like zod's: `staff.3.name`.
 */
export function findBadCharInJson(
  value: unknown,
  /** Where `value` sits in a larger body (a row of a list read one at a time): the path starts with it. */
  at: string[] = [],
): { path: string; index: number; code: string } | undefined {
  const path: string[] = [...at];
  const walk = (v: unknown): { index: number; code: string } | undefined => {
    if (typeof v === "string") return findBadChar(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(String(i));
        const bad = walk(v[i]);
        if (bad) return bad;
        path.pop();
      }
    } else if (v && typeof v === "object") {
      for (const k of Object.keys(v)) {
        path.push(k);
        const bad = findBadChar(k) ?? walk((v as Record<string, unknown>)[k]);
        if (bad) return bad;
        path.pop();
      }
    }
    return undefined;
  };
  const bad = walk(value);
  return bad && { path: path.join(".") || "(body)", ...bad };
}

/** Cuts an echoed value to `max` characters (on a code point boundary), saying how long it really was. */
export function truncateForEcho(s: string, max = 80): string {
  if (s.length <= max) return s;
  let cut = max;
  const c = s.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return `${s.slice(0, cut)}…（共 ${s.length} 个字符 / ${s.length} chars）`;
}

/**
 * `s` with each invalid character replaced by U+FFFD: only for recording that an input was refused (its
 * dedupe key, the reply's address), never for accepting the input itself.
 */
export function scrubBadChars(s: string): string {
  let out = s;
  for (let bad = findBadChar(out); bad; bad = findBadChar(out)) {
    out = `${out.slice(0, bad.index)}\uFFFD${out.slice(bad.index + 1)}`;
  }
  return out;
}
