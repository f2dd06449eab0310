import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { UploadLimits } from "../config.ts";
import type { OrgRecords } from "../domain/org-records.ts";
import { badCharInBody, MAX_JSON_DEPTH, parseJsonBody } from "../http/read-body.ts";
import { checkJsonRowCount, checkJsonRows } from "../http/upload-limits.ts";
import { findBadCharInJson } from "../lib/text-rule.ts";
import { ORG_LISTS, OrgRowReader, orgRecordsFromJson, recordsOf } from "./org-input.ts";

/**
 * The records of a JSON org body as `PUT /api/org` receives it (the bench calls this too): row counts
 * (UPLOAD_MAX_ROWS), the JSON checks every route makes, then {@link orgRecordsFromJson}. A body of the usual
 * form is read a row at a time ({@link orgRecordsFromJsonRows}), so neither its text nor its parsed tree exists whole; any
 * other body is parsed whole, with the same answers.
 */
export async function orgRecordsFromJsonBody(raw: Buffer, limits: UploadLimits): Promise<OrgRecords> {
  const records = await orgRecordsFromJsonRows(raw, limits);
  if (records) return records;
  const body = parseJsonBody(raw, { precheck: (value) => checkJsonRows(value, [...ORG_LISTS], limits) });
  return orgRecordsFromJson(body);
}

/**
 * An org body read a row at a time: its top-level object is scanned in the bytes, and each row of `departments`
 * and `staff` (each other value whole) is parsed by JSON.parse on its own and turned into its record at once.
 * Parsing the body whole held its text (~9 MB for 50,000 people: Chinese names make it two bytes a character)
 * and every parsed row (~12 MB) at once, in V8's old generation until a full collection, beside the records.
 *
 * The answers are those of the whole-body path, in its order: row counts (UPLOAD_MAX_ROWS), then the first
 * invalid character in the order the body is walked, then zod's problems. Whenever the body is not of the plain
 * form this reads — not an object, a syntax error anywhere, nesting past MAX_JSON_DEPTH, a top-level key
 * repeated, numeric or `__proto__` (JSON.parse orders or drops those) — this returns undefined and the caller
 * parses the body whole, so syntax errors and the rest read exactly as before.
 *
 * The event loop is given back every {@link ROWS_PER_SLICE} rows: a 200,000-row body is ~0.6 s of parsing, during
 * which /healthz, chat pushes and card clicks (answered within 2 s) would otherwise wait (bench:hostile).
 */
export async function orgRecordsFromJsonRows(raw: Buffer, limits: UploadLimits): Promise<OrgRecords | undefined> {
  const scan = new Scanner(raw);
  const readers = { departments: new OrgRowReader("departments"), staff: new OrgRowReader("staff") };
  const rows = { departments: -1, staff: -1 }; // -1: not a list (or missing)
  const seen = new Set<string>();
  let bad: ReturnType<typeof findBadCharInJson>;
  const check = (value: unknown, at: string[]) => {
    bad ??= findBadCharInJson(value, at);
  };
  if (!scan.skip(0x7b /* { */)) return undefined;
  if (!scan.skip(0x7d /* } */)) {
    do {
      const key = scan.string();
      if (key === undefined || seen.has(key) || key === "__proto__" || /^(0|[1-9]\d*)$/.test(key)) return undefined;
      seen.add(key);
      if (!scan.skip(0x3a /* : */)) return undefined;
      check(key, [key]);
      const list = ORG_LISTS.find((l) => l === key);
      if (list && scan.skip(0x5b /* [ */)) {
        let i = 0;
        if (!scan.skip(0x5d /* ] */)) {
          do {
            const row = scan.value();
            if (row === undefined) return undefined;
            check(row.value, [list, String(i)]);
            readers[list].add(row.value, i++);
            if (i % ROWS_PER_SLICE === 0) await yieldToLoop();
          } while (scan.skip(0x2c /* , */));
          if (!scan.skip(0x5d)) return undefined;
        }
        rows[list] = i;
        continue;
      }
      const value = scan.value(1);
      if (value === undefined) return undefined;
      check(value.value, [key]);
      if (list) readers[list].notAList(value.value);
    } while (scan.skip(0x2c /* , */));
    if (!scan.skip(0x7d)) return undefined;
  }
  if (!scan.atEnd()) return undefined;
  // The whole body is valid JSON of the plain form: now its answers, in the whole-body path's order.
  for (const list of ORG_LISTS) if (rows[list] >= 0) checkJsonRowCount(list, rows[list], limits);
  if (bad) throw badCharInBody(bad);
  for (const list of ORG_LISTS) {
    if (rows[list] < 0 && !seen.has(list)) readers[list].notAList(undefined);
    else if (rows[list] >= 0 && readers[list].tooLong(rows[list])) readers[list].notAList(new Array(rows[list]));
  }
  return recordsOf(readers.departments, readers.staff);
}

/** Rows read between two turns of the event loop (~6 ms of work each on the standard machine). */
const ROWS_PER_SLICE = 2_000;

const isSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Reads JSON tokens from bytes: punctuation, a key, or one whole value parsed by JSON.parse. */
class Scanner {
  private at = 0;
  constructor(private readonly raw: Buffer) {}

  private spaces(): void {
    while (isSpace(this.raw[this.at])) this.at++;
  }

  /** Skips `byte` (and the whitespace around it) if it comes next. */
  skip(byte: number): boolean {
    this.spaces();
    if (this.raw[this.at] !== byte) return false;
    this.at++;
    this.spaces();
    return true;
  }

  atEnd(): boolean {
    this.spaces();
    return this.at === this.raw.length;
  }

  /** A string token (an object's key), or undefined when none comes next or it is not valid JSON. */
  string(): string | undefined {
    const { raw } = this;
    const start = this.at;
    if (raw[start] !== 0x22) return undefined;
    let i = start + 1;
    for (; i < raw.length && raw[i] !== 0x22; i++) if (raw[i] === 0x5c) i++;
    if (i >= raw.length) return undefined;
    this.at = i + 1;
    try {
      return JSON.parse(raw.toString("utf8", start, i + 1)) as string;
    } catch {
      return undefined;
    }
  }

  /**
   * The next value, parsed on its own; undefined at a syntax error or past MAX_JSON_DEPTH (counting the
   * `depth` levels it sits in). It ends at the first `,` `]` `}` outside strings and brackets.
   */
  value(depth = 2): { value: unknown } | undefined {
    const { raw } = this;
    const start = this.at;
    let nested = 0;
    let inString = false;
    let i = start;
    for (; i < raw.length; i++) {
      const b = raw[i];
      if (inString) {
        if (b === 0x5c) i++;
        else if (b === 0x22) inString = false;
      } else if (b === 0x22) inString = true;
      else if (b === 0x5b || b === 0x7b) {
        if (++nested + depth > MAX_JSON_DEPTH) return undefined;
      } else if (b === 0x5d || b === 0x7d) {
        if (nested === 0) break;
        nested--;
      } else if (b === 0x2c && nested === 0) break;
    }
    if (i === start) return undefined;
    this.at = i;
    try {
      return { value: JSON.parse(raw.toString("utf8", start, i)) };
    } catch {
      return undefined;
    }
  }
}
