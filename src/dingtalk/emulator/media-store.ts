import { randomBytes } from "node:crypto";

/** What `/media/upload` kept: the bytes as uploaded, and what they were declared and found to be. */
export interface StoredMedia {
  mediaId: string;
  clientId: string;
  /** `type` of the upload: image, voice, video or file. */
  type: string;
  /** What the bytes are (sniffed): image/png, image/jpeg, image/gif, image/bmp, or the part's declared type. */
  contentType: string;
  fileName: string;
  bytes: Buffer;
  createdAt: number;
}

export interface MediaStore {
  put(media: Omit<StoredMedia, "mediaId">): StoredMedia;
  get(mediaId: string): StoredMedia | undefined;
  clear(): void;
}

/** Uploaded media in memory, by media_id (`@lA…`, the shape real ones have: docs/dingtalk.md §4.0). */
export function createMediaStore(): MediaStore {
  const media = new Map<string, StoredMedia>();
  return {
    put(m) {
      const stored = { ...m, mediaId: `@lA${randomBytes(18).toString("base64url")}` };
      media.set(stored.mediaId, stored);
      return stored;
    },
    get: (mediaId) => media.get(mediaId),
    clear: () => media.clear(),
  };
}

/** The image formats `/media/upload?type=image` takes (docs/dingtalk.md §4.0: jpg/gif/png/bmp), by magic bytes. */
export function sniffImage(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]))) return "image/png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  const head = bytes.subarray(0, 6).toString("latin1");
  if (head === "GIF87a" || head === "GIF89a") return "image/gif";
  if (head.startsWith("BM")) return "image/bmp";
  return undefined;
}
