import busboy from "busboy";
import type { Context } from "koa";
import { AppError } from "../lib/errors.ts";

export interface Multipart {
  fields: Record<string, string>;
  files: Record<string, { filename: string; data: Buffer }>;
}

/**
 * Reads a multipart/form-data upload into memory with a limit on each file and on all parts together (files and
 * fields): both `limit` bytes, the body limit, so five files just under it are refused like one over it (413).
 * The answer comes as soon as a limit is crossed; the error middleware then closes the connection.
 */
export function readMultipart(ctx: Context, limit: number): Promise<Multipart> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: ctx.req.headers, limits: { fileSize: limit, files: 5, fields: 20 } });
    } catch (err) {
      reject(new AppError("VALIDATION", `multipart 请求无效：${(err as Error).message}`));
      return;
    }
    // No prototype: a part named "__proto__" is a field like any other, not the object's prototype.
    const out: Multipart = { fields: Object.create(null), files: Object.create(null) };
    let failed: AppError | undefined;
    let total = 0;
    const overTotal = () => {
      if (failed) return;
      failed = new AppError(
        "PAYLOAD_TOO_LARGE",
        `上传内容合计超过上限 ${Math.round(limit / 1024 / 1024)} MB（BODY_LIMIT_MB）/ multipart parts exceed BODY_LIMIT_MB in total`,
      );
      ctx.req.unpipe(bb);
      ctx.req.resume(); // drained, not kept: the connection closes with the answer
      reject(failed);
    };
    bb.on("file", (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => {
        total += c.length;
        if (total > limit) {
          overTotal();
          stream.resume();
          return;
        }
        chunks.push(c);
      });
      // A part cut off by the end of the body (no closing boundary) fails its file stream: without this listener
      // that error was uncaught and ended the process (found by test/integration/api-fuzz.test.ts).
      stream.on("error", (err) => {
        if (!failed) failed = new AppError("VALIDATION", `multipart 请求无效：${err.message}`);
      });
      stream.on("limit", () => {
        failed = new AppError("PAYLOAD_TOO_LARGE", `上传文件 ${info.filename} 超过上限`);
      });
      stream.on("close", () => {
        out.files[name ?? ""] = { filename: info.filename ?? name, data: Buffer.concat(chunks) };
      });
    });
    bb.on("field", (name: string | undefined, value: string | undefined) => {
      // busboy gives a part with `name=""` no name: the byte count threw outside any handler, an uncaught error
      // that ended the process (test/integration/api-fuzz.test.ts found it).
      const key = name ?? "";
      const text = value ?? "";
      total += Buffer.byteLength(key) + Buffer.byteLength(text);
      if (total > limit) overTotal();
      else out.fields[key] = text;
    });
    bb.on("error", (err) => reject(new AppError("VALIDATION", `multipart 请求无效：${(err as Error).message}`)));
    bb.on("close", () => (failed ? reject(failed) : resolve(out)));
    ctx.req.pipe(bb);
  });
}
