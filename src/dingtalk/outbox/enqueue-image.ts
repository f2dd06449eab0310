import type { Database, PrismaClient, Tx } from "../../db/database.ts";
import { AppError } from "../../lib/errors.ts";
import { IMAGE_MAX_BYTES } from "../openapi-client.ts";
import { enqueue } from "./enqueue.ts";

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

export interface ImageMessageInput {
  /** The recipient's userId: the image goes to their 1:1 chat with the bot. */
  userId: string;
  /** PNG bytes, at most 20 MB (docs/dingtalk.md §4.0). */
  png: Uint8Array;
  /** Exactly-once key, as for every outbox row. */
  idempotencyKey: string;
  /** The name DingTalk keeps with the upload (default `<key>.png`). */
  fileName?: string;
}

/**
 * Queues an image message (`robot.image`): the worker uploads the PNG with `/media/upload`, then sends it with
 * batchSend `sampleImageMsg`. Refused here, with nothing queued, when it is not a PNG or is larger than DingTalk
 * takes: such a row could only die. False when the key was queued before.
 */
export async function enqueueImageMessage(
  target: Tx | PrismaClient | Database,
  input: ImageMessageInput,
): Promise<boolean> {
  if (input.userId === "") throw new AppError("VALIDATION", "图片消息需要接收人 userId");
  if (!PNG_SIGNATURE.every((b, i) => input.png[i] === b)) {
    throw new AppError("VALIDATION", "图片消息只接受 PNG 图片（文件头不是 PNG）");
  }
  if (input.png.length > IMAGE_MAX_BYTES) {
    const mb = (input.png.length / 1024 / 1024).toFixed(1);
    throw new AppError("VALIDATION", `图片 ${mb}MB，超过钉钉图片上限 20MB，未发送`, {
      details: { bytes: input.png.length, maxBytes: IMAGE_MAX_BYTES },
    });
  }
  return enqueue(target, {
    idempotencyKey: input.idempotencyKey,
    kind: "robot.image",
    payload: {
      userId: input.userId,
      png: Buffer.from(input.png).toString("base64"),
      fileName: input.fileName ?? `${input.idempotencyKey.replace(/[^\w.-]+/g, "_")}.png`,
    },
  });
}
