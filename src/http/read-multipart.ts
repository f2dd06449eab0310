import busboy from "busboy";
import type { Context } from "koa";
import { AppError } from "../lib/errors.ts";

export interface Multipart {
  fields: Record<string, string>;
  files: Record<string, { filename: string; data: Buffer }>;
}

/** Reads a multipart/form-data upload into memory with per-file and total size limits (413 beyond). */
export function readMultipart(ctx: Context, limit: number): Promise<Multipart> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: ctx.req.headers, limits: { fileSize: limit, files: 5, fields: 20 } });
    } catch (err) {
      reject(new AppError("VALIDATION", `multipart 请求无效：${(err as Error).message}`));
      return;
    }
    const out: Multipart = { fields: {}, files: {} };
    let failed: AppError | undefined;
    bb.on("file", (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("limit", () => {
        failed = new AppError("PAYLOAD_TOO_LARGE", `上传文件 ${info.filename} 超过上限`);
      });
      stream.on("close", () => {
        out.files[name] = { filename: info.filename ?? name, data: Buffer.concat(chunks) };
      });
    });
    bb.on("field", (name, value) => {
      out.fields[name] = value;
    });
    bb.on("error", (err) => reject(new AppError("VALIDATION", `multipart 请求无效：${(err as Error).message}`)));
    bb.on("close", () => (failed ? reject(failed) : resolve(out)));
    ctx.req.pipe(bb);
  });
}
