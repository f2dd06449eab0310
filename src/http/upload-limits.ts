import { Readable } from "node:stream";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { createInflateRaw } from "node:zlib";
import { parse as parseCsv } from "csv-parse";
import type { UploadLimits } from "../config.ts";
import { AppError } from "../lib/errors.ts";

/**
 * Limits on uploaded files, checked while reading — before anything is built from them — so a hostile file
 * (a zip bomb, a million rows, one 50 MB cell) is refused in a moment with a 413 that names the limit,
 * instead of inflating into gigabytes. Configured by UPLOAD_MAX_* (src/config.ts, README).
 */

/** A 413 naming the limit that was hit, its setting and its value, in Chinese and English. */
export function uploadLimitError(what: string, setting: string, value: string, where?: string): AppError {
  const at = where ? `（${where}）` : "";
  return new AppError(
    "PAYLOAD_TOO_LARGE",
    `上传文件超过上限：${what}不能超过 ${value}${at}，未写入任何数据 / upload exceeds the limit ${setting}=${value}${where ? ` (${where})` : ""}`,
    { details: [{ limit: setting, value, ...(where ? { where } : {}) }] },
  );
}

const rowsError = (l: UploadLimits, where: string) =>
  uploadLimitError("行数", "UPLOAD_MAX_ROWS", String(l.maxRows), where);
const columnsError = (l: UploadLimits, where: string) =>
  uploadLimitError("列数", "UPLOAD_MAX_COLUMNS", String(l.maxColumns), where);
const cellError = (l: UploadLimits, where: string) =>
  uploadLimitError("单元格内容", "UPLOAD_MAX_CELL_BYTES", `${l.maxCellBytes} 字节`, where);
const unzippedError = (l: UploadLimits) =>
  uploadLimitError(
    "Excel 解压后的大小",
    "UPLOAD_MAX_UNZIPPED_MB",
    `${Math.round((l.maxUnzippedBytes / 1024 / 1024) * 10) / 10} MB`,
  );

/** Rows of a JSON upload: each list (departments, staff) may have at most UPLOAD_MAX_ROWS entries. */
export function checkJsonRows(body: unknown, lists: string[], limits: UploadLimits): void {
  if (!body || typeof body !== "object") return;
  for (const name of lists) {
    const list = (body as Record<string, unknown>)[name];
    if (Array.isArray(list)) checkJsonRowCount(name, list.length, limits);
  }
}

/** The same check for a list whose rows were counted as they were read. */
export function checkJsonRowCount(name: string, rows: number, limits: UploadLimits): void {
  if (rows > limits.maxRows) throw rowsError(limits, name);
}

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
}

/** The central directory of a zip in memory; undefined when there is none (exceljs then reports the damage). */
function zipEntries(buf: Buffer): ZipEntry[] | undefined {
  const from = Math.max(0, buf.length - 65_557);
  let eocd = -1;
  for (let i = buf.length - 22; i >= from; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== 0x02014b50) return undefined;
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    entries.push({
      method: buf.readUInt16LE(at + 10),
      compressedSize: buf.readUInt32LE(at + 20),
      uncompressedSize: buf.readUInt32LE(at + 24),
      localOffset: buf.readUInt32LE(at + 42),
      name: buf.toString("utf8", at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * Counts rows, cells per row and the bytes of each text run in sheet XML as it streams by (chunk boundaries
 * anywhere): `<row` opens a row, `<c` a cell; text between tags is a cell's content (or a shared string's).
 */
class SheetScanner {
  rows = 0;
  private cols = 0;
  private text = 0;
  private inTag = false;
  private name = "";
  private naming = false;

  constructor(
    private readonly sheet: string,
    private readonly limits: UploadLimits,
    private readonly countRows: boolean,
  ) {}

  feed(chunk: Buffer): void {
    const { limits } = this;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (!this.inTag) {
        if (b === 0x3c /* < */) {
          this.inTag = true;
          this.naming = true;
          this.name = "";
          this.text = 0;
        } else if (++this.text > limits.maxCellBytes) {
          throw cellError(limits, this.sheet);
        }
        continue;
      }
      if (this.naming) {
        // A tag name ends at whitespace, '/', or '>'; only "row" and "c" matter, so 4 characters are enough.
        if (b === 0x20 || b === 0x2f || b === 0x3e || b === 0x09 || b === 0x0a || b === 0x0d) {
          this.naming = false;
          if (this.countRows) this.tagSeen();
        } else if (this.name.length < 4) {
          this.name += String.fromCharCode(b);
        }
      }
      if (b === 0x3e /* > */) this.inTag = false;
    }
  }

  private tagSeen(): void {
    if (this.name === "row") {
      this.cols = 0;
      // Row 1 is the header: the limit is on data rows.
      if (++this.rows > this.limits.maxRows + 1) throw rowsError(this.limits, this.sheet);
    } else if (this.name === "c") {
      if (++this.cols > this.limits.maxColumns) throw columnsError(this.limits, `${this.sheet} 第 ${this.rows} 行`);
    }
  }
}

/**
 * Checks an .xlsx before exceljs opens it: the unzipped size (the sizes the zip declares, then the bytes
 * actually inflated, counted chunk by chunk and stopped at the limit — a lying header cannot get past), and
 * in each worksheet the rows, the cells of a row and the size of each cell; shared strings by cell size.
 * Inflating runs on zlib's thread pool and the scan gives the event loop back between chunks.
 */
export async function checkXlsx(buf: Buffer, limits: UploadLimits): Promise<void> {
  const entries = zipEntries(buf);
  if (!entries) return;
  const declared = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  if (declared > limits.maxUnzippedBytes) throw unzippedError(limits);
  let inflated = 0;
  for (const entry of entries) {
    const sheet = /^xl\/worksheets\/[^/]+\.xml$/.test(entry.name);
    const strings = entry.name === "xl/sharedStrings.xml";
    const local = entry.localOffset;
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50) return; // damaged: exceljs says so
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, Math.min(buf.length, start + entry.compressedSize));
    const scanner = sheet || strings ? new SheetScanner(entry.name.replace(/^xl\//, ""), limits, sheet) : undefined;
    const count = (chunk: Buffer) => {
      inflated += chunk.length;
      if (inflated > limits.maxUnzippedBytes) throw unzippedError(limits);
      scanner?.feed(chunk);
    };
    if (entry.method === 0) {
      count(data);
      continue;
    }
    if (entry.method !== 8) continue; // exceljs refuses other methods itself
    const inflate = createInflateRaw({ chunkSize: 64 * 1024 });
    const source = Readable.from(chunksOf(data, 64 * 1024));
    source.pipe(inflate);
    try {
      for await (const chunk of inflate) count(chunk as Buffer);
    } catch (err) {
      if (err instanceof AppError) throw err;
      return; // a broken deflate stream: exceljs reports the damaged file
    } finally {
      source.unpipe(inflate);
      source.destroy();
      inflate.destroy();
    }
  }
}

function* chunksOf(buf: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < buf.length; at += size) yield buf.subarray(at, at + size);
}

/** One CSV record with the line it started on (1-based). */
export interface CsvRecord {
  line: number;
  cells: string[];
}

/**
 * Reads a CSV file as a stream of records, stopping at the first limit: data rows (after the header), columns
 * of a row, bytes of a cell. Gives the event loop back every few thousand rows. A malformed file throws
 * csv-parse's error (with `lines`), which the caller reports as a problem.
 */
export async function readCsvLimited(buf: Buffer, file: string, limits: UploadLimits): Promise<CsvRecord[]> {
  const parser = Readable.from(chunksOf(buf, 64 * 1024)).pipe(
    parseCsv({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true }),
  );
  const out: CsvRecord[] = [];
  try {
    for await (const r of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (out.length > limits.maxRows) throw rowsError(limits, file);
      if (r.record.length > limits.maxColumns) throw columnsError(limits, `${file} 第 ${r.info.lines} 行`);
      for (const cell of r.record) {
        if (cell.length > limits.maxCellBytes || Buffer.byteLength(cell) > limits.maxCellBytes) {
          throw cellError(limits, `${file} 第 ${r.info.lines} 行`);
        }
      }
      out.push({ line: r.info.lines, cells: r.record });
      if (out.length % 1000 === 0) await yieldToLoop();
    }
  } finally {
    parser.destroy();
  }
  return out;
}

/**
 * At most one heavy upload (an org import, a plan workbook) at a time per process: a second one gets a 429 with
 * Retry-After instead of doubling the memory a big file takes.
 */
export class UploadGate {
  private busy = false;

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.busy) {
      throw new AppError(
        "TOO_MANY_REQUESTS",
        "另一个文件正在导入，请稍后重试 / another upload is being processed, retry shortly",
        { headers: { "Retry-After": "5" } },
      );
    }
    this.busy = true;
    try {
      return await work();
    } finally {
      this.busy = false;
    }
  }
}

const gates = new WeakMap<object, UploadGate>();

/** The gate of one running service (keyed by its deps, so services started side by side in tests each have one). */
export function uploadGateFor(deps: object): UploadGate {
  let gate = gates.get(deps);
  if (!gate) {
    gate = new UploadGate();
    gates.set(deps, gate);
  }
  return gate;
}
