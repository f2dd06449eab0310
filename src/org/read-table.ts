import type { SourceRef } from "../domain/org-records.ts";
import type { InputProblem } from "../lib/errors.ts";
import { badCharMessage, findBadChar } from "../lib/text-rule.ts";
import { type ColumnSpec, columnLetter, headerMatches } from "./org-columns.ts";

/** One data row of a sheet or CSV file, with its 1-based row number in the file. */
export interface RawRow {
  row: number;
  cells: string[];
}

export interface RawTable {
  /** The sheet or file name used in problem reports. */
  sheet: string;
  header: string[];
  rows: RawRow[];
}

/**
 * Maps a table's header onto the template columns, then turns each non-empty row into a record of strings
 * with a SourceRef whose columns say e.g. "C（上级部门ID / parent_id）". Missing required columns are problems.
 */
export function readTable<F extends string>(
  table: RawTable,
  columns: ColumnSpec<F>[],
): { records: { values: Record<F, string>; ref: SourceRef }[]; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const index = new Map<F, number>();
  for (const spec of columns) {
    const i = table.header.findIndex((h) => headerMatches(h, spec));
    if (i >= 0) index.set(spec.field, i);
    else if (spec.required) {
      problems.push({ sheet: table.sheet, row: 1, message: `缺少列“${spec.header}”（表头应在第 1 行）` });
    }
  }
  if (problems.length > 0) return { records: [], problems };
  const columnNames = Object.fromEntries(
    [...index].map(([field, i]) => [field, `${columnLetter(i)}（${table.header[i]?.trim()}）`]),
  ) as Partial<Record<string, string>>;
  const records = table.rows
    .filter((r) => r.cells.some((c) => c.trim() !== ""))
    .map((r) => {
      const values = {} as Record<F, string>;
      for (const spec of columns) {
        const i = index.get(spec.field);
        values[spec.field] = i === undefined ? "" : (r.cells[i] ?? "").trim();
        // The text rule (src/lib/text-rule.ts) for every cell read: a NUL cannot be stored.
        const bad = i === undefined ? undefined : findBadChar(values[spec.field]);
        if (bad && i !== undefined) {
          problems.push({
            sheet: table.sheet,
            row: r.row,
            column: columnNames[spec.field],
            message: badCharMessage(`单元格 ${columnLetter(i)}${r.row}`, bad),
          });
        }
      }
      return { values, ref: { row: r.row, sheet: table.sheet, columns: columnNames } };
    });
  return { records, problems };
}
