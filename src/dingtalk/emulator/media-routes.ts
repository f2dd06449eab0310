import type Router from "@koa/router";
import busboy from "busboy";
import type { Context } from "koa";
import { LegacyApiError } from "./api-errors.ts";
import { appOf, legacyAuth } from "./api-guard.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import { newRequestId } from "./ids.ts";
import { sniffImage } from "./media-store.ts";

/** docs/dingtalk.md §4.0: images up to 20 MB (help.dingtalk.io `upload-media-files`). */
export const IMAGE_MAX_BYTES = 20 * 1024 * 1024;
const MEDIA_TYPES = new Set(["image", "voice", "video", "file"]);

/*
 * Legacy error codes of the upload (UNVERIFIED, from DingTalk's server error-code table): 40004 bad media type,
 * 40005 bad file type, 40006 bad file size. A body that is not multipart or has no `media` part answers 400002
 * (invalid parameter), as elsewhere on the legacy host.
 */

/** `POST /media/upload?access_token=&type=image`, multipart part `media` → `{errcode:0, type, media_id, created_at}`. */
export function registerMediaRoutes(router: Router, core: EmulatorCore): void {
  router.post("/media/upload", legacyAuth(core), async (ctx) => {
    const type = typeof ctx.query.type === "string" ? ctx.query.type : "";
    if (!MEDIA_TYPES.has(type)) throw new LegacyApiError(40004, `不合法的媒体文件类型: type=${type}`);
    const part = await readMediaPart(ctx);
    if (part.tooLarge || part.bytes.length > IMAGE_MAX_BYTES) {
      throw new LegacyApiError(40006, `不合法的文件大小: 图片不能超过 ${IMAGE_MAX_BYTES / 1024 / 1024}MB`);
    }
    if (part.bytes.length === 0) throw new LegacyApiError(40006, "不合法的文件大小: 文件为空");
    const sniffed = sniffImage(part.bytes);
    if (type === "image" && !sniffed) throw new LegacyApiError(40005, "不合法的文件类型: 图片只支持 jpg/gif/png/bmp");
    const createdAt = core.clock.now();
    const stored = core.media.put({
      clientId: appOf(ctx, core).clientId,
      type,
      contentType: sniffed ?? part.contentType,
      fileName: part.fileName,
      bytes: part.bytes,
      createdAt,
    });
    ctx.body = {
      errcode: 0,
      errmsg: "ok",
      type,
      media_id: stored.mediaId,
      created_at: createdAt,
      request_id: newRequestId(),
    };
  });
}

interface MediaPart {
  bytes: Buffer;
  fileName: string;
  contentType: string;
  tooLarge: boolean;
}

/** The `media` file part of a multipart body, read up to the size limit (+1 byte, to tell "too large"). */
function readMediaPart(ctx: Context): Promise<MediaPart> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: ctx.req.headers, limits: { fileSize: IMAGE_MAX_BYTES + 1, files: 1, fields: 10 } });
    } catch {
      reject(new LegacyApiError(400002, "不合法的参数: 需要 multipart/form-data，文件放在 media 里"));
      return;
    }
    let found: MediaPart | undefined;
    bb.on("file", (name, stream, info) => {
      if (name !== "media") {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      const part: MediaPart = {
        bytes: Buffer.alloc(0),
        fileName: info.filename ?? "media",
        contentType: info.mimeType,
        tooLarge: false,
      };
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("limit", () => {
        part.tooLarge = true;
      });
      stream.on("end", () => {
        part.bytes = Buffer.concat(chunks);
        found = part;
      });
    });
    bb.on("error", () => reject(new LegacyApiError(400002, "不合法的参数: multipart 格式错误")));
    bb.on("close", () => (found ? resolve(found) : reject(new LegacyApiError(400002, "不合法的参数: 缺少文件 media"))));
    // A stalled call's body was read before the stall (api-guard.ts).
    if (ctx.state.rawBody instanceof Buffer) bb.end(ctx.state.rawBody);
    else ctx.req.pipe(bb);
  });
}
