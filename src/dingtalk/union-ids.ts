import { AppError } from "../lib/errors.ts";
import { DingTalkApiError } from "./dingtalk-api-error.ts";
import type { DirectoryClient } from "./directory-client.ts";

/** The unionId of a userId (docs/dingtalk.md §7: to-do paths and executorIds take unionIds, our flows know userIds). */
export type UnionIdSource = (userId: string) => Promise<string>;

/**
 * Looks unionIds up with `/topapi/v2/user/get` and keeps them for the life of the process: a person's unionId
 * never changes, and a lookup per to-do would spend the directory API's rate limit for nothing.
 *
 * Failures are thrown as {@link DingTalkApiError} so the outbox classifies them like any answer: a directory
 * that does not know the person (or has no unionId for them) will never succeed, so it is not retryable;
 * a directory that kept failing transiently, or kept rejecting the token, may succeed on a later try.
 */
export function createUnionIdSource(directory: Pick<DirectoryClient, "getUser">): UnionIdSource {
  const known = new Map<string, string>();
  return async (userId) => {
    const cached = known.get(userId);
    if (cached !== undefined) return cached;
    let unionId: string | undefined;
    try {
      unionId = (await directory.getUser(userId)).unionid;
    } catch (err) {
      throw asApiError(userId, err);
    }
    if (!unionId) {
      throw new DingTalkApiError(
        400,
        "directory.noUnionId",
        `user/get ${userId}: the directory gave no unionid`,
        false,
      );
    }
    known.set(userId, unionId);
    return unionId;
  };
}

function asApiError(userId: string, err: unknown): DingTalkApiError {
  const message = `user/get ${userId}: ${err instanceof Error ? err.message : String(err)}`;
  const details = err instanceof AppError && typeof err.details === "object" ? err.details : null;
  const errcode = details !== null && "errcode" in details ? details.errcode : undefined;
  // An errcode other than 88 (token rejected after a refresh) is DingTalk's final word on this person, e.g.
  // 60121 找不到该用户. No errcode: retries ran out on a transient failure, or it was not an answer at all.
  if (errcode !== undefined && errcode !== 88) {
    return new DingTalkApiError(400, `directory.${String(errcode)}`, message, false, { cause: err });
  }
  return new DingTalkApiError(0, "directory.unavailable", message, true, { cause: err });
}
