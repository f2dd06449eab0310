import { crc32, createDeflateRaw } from "node:zlib";

/**
 * A minimal zip writer and an Excel "bomb": an .xlsx of a few MB whose staff sheet unzips to millions of
 * identical rows (sheet XML compresses about 1000:1). Built here, never stored in the repository. Used by the
 * upload tests and bench/hostile.ts.
 */

interface Entry {
  name: string;
  /** Deflated data. */
  data: Buffer;
  crc: number;
  size: number;
}

/** Deflates `parts` (yielded lazily, so hundreds of MB of XML never sit in memory) into one zip entry. */
async function deflateEntry(name: string, parts: Iterable<Buffer>): Promise<Entry> {
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on("data", (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on("end", resolve);
    deflate.on("error", reject);
  });
  let crc = 0;
  let size = 0;
  for (const part of parts) {
    crc = crc32(part, crc);
    size += part.length;
    if (!deflate.write(part)) await new Promise((r) => deflate.once("drain", r));
  }
  deflate.end();
  await done;
  return { name, data: Buffer.concat(out), crc, size };
}

/**
 * Writes the zip. `declare` may lie about an entry's unzipped size (as a hostile file would), so the reader
 * must count what it inflates rather than trust the header.
 */
function zip(entries: Entry[], declare: (e: Entry) => number = (e) => e.size): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(declare(e), 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(e.crc >>> 0, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(declare(e), 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += local.length + name.length + e.data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const xml = (s: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${s}`, "utf8");
const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

const cell = (text: string) => `<c t="inlineStr"><is><t>${text}</t></is></c>`;
const row = (cells: string[]) => `<row>${cells.map(cell).join("")}</row>`;

function* sheetXml(header: string[], body: string[], rows: number): Generator<Buffer> {
  yield xml(`<worksheet ${NS}><sheetData>${row(header)}`);
  const one = row(body);
  const batch = Buffer.from(one.repeat(1000), "utf8");
  for (let n = 0; n < Math.floor(rows / 1000); n++) yield batch;
  if (rows % 1000) yield Buffer.from(one.repeat(rows % 1000), "utf8");
  yield Buffer.from("</sheetData></worksheet>", "utf8");
}

export interface BombOptions {
  /** Data rows of the staff sheet. */
  rows: number;
  /** Declare tiny unzipped sizes in the zip headers (a lying file). */
  lie?: boolean;
  /** Megabytes of zeros in an extra entry that is no sheet (xl/media/blank.bin). */
  padMb?: number;
}

function* zeros(mb: number): Generator<Buffer> {
  const one = Buffer.alloc(1024 * 1024);
  for (let n = 0; n < mb; n++) yield one;
}

/**
 * An org workbook ("部门 departments" and "员工 staff") whose staff sheet has `rows` copies of one row.
 * 3,000,000 rows: about 480 MB of XML in about 1 MB of zip.
 */
export async function xlsxBomb({ rows, lie = false, padMb = 0 }: BombOptions): Promise<Buffer> {
  const entries = [
    await deflateEntry("[Content_Types].xml", [
      xml(
        `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
      ),
    ]),
    await deflateEntry("_rels/.rels", [
      xml(
        `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
      ),
    ]),
    await deflateEntry("xl/workbook.xml", [
      xml(
        `<workbook ${NS} xmlns:r="${REL}"><sheets><sheet name="部门 departments" sheetId="1" r:id="rId1"/><sheet name="员工 staff" sheetId="2" r:id="rId2"/></sheets></workbook>`,
      ),
    ]),
    await deflateEntry("xl/_rels/workbook.xml.rels", [
      xml(
        `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/worksheet" Target="worksheets/sheet2.xml"/></Relationships>`,
      ),
    ]),
    await deflateEntry(
      "xl/worksheets/sheet1.xml",
      sheetXml(["部门ID / dept_id", "部门名称 / name", "上级部门ID / parent_id"], ["d1", "总部", ""], 1),
    ),
    await deflateEntry(
      "xl/worksheets/sheet2.xml",
      sheetXml(
        [
          "员工ID / user_id",
          "姓名 / name",
          "部门ID / dept_id",
          "直属上级ID / manager_user_id",
          "职位 / title",
          "角色 / role",
        ],
        ["u1", "张三", "d1", "", "客户经理", "REP"],
        rows,
      ),
    ),
  ];
  if (padMb > 0) entries.splice(4, 0, await deflateEntry("xl/media/blank.bin", zeros(padMb)));
  return zip(entries, lie ? () => 1000 : undefined);
}
