import { describe, expect, it } from "vitest";
import { DingTalkApiError, isRetryableAnswer } from "../../src/dingtalk/dingtalk-api-error.ts";
import type { TDirectoryUserDetail } from "../../src/dingtalk/directory-client.ts";
import { createUnionIdSource } from "../../src/dingtalk/union-ids.ts";
import { AppError } from "../../src/lib/errors.ts";

/** A directory answering from `answers` (a userId → a user, or an error to throw), counting calls. */
function directory(answers: Record<string, Partial<TDirectoryUserDetail> | Error>) {
  const calls: string[] = [];
  return {
    calls,
    async getUser(userid: string): Promise<TDirectoryUserDetail> {
      calls.push(userid);
      const answer = answers[userid];
      if (answer instanceof Error) throw answer;
      return { userid, name: "某人", dept_id_list: [], boss: false, ...answer };
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<DingTalkApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DingTalkApiError)) throw new Error(`expected a DingTalkApiError, got ${String(err)}`);
  return err;
}

describe("createUnionIdSource", () => {
  it("asks the directory once per person and keeps the answer", async () => {
    const dir = directory({ mgr110: { unionid: "u-mgr" }, rep1101: { unionid: "u-rep" } });
    const unionIdOf = createUnionIdSource(dir);
    expect(await unionIdOf("mgr110")).toBe("u-mgr");
    expect(await unionIdOf("rep1101")).toBe("u-rep");
    expect(await unionIdOf("mgr110")).toBe("u-mgr");
    expect(dir.calls).toEqual(["mgr110", "rep1101"]);
  });

  it("a person the directory does not know, or gives no unionid for, is a permanent failure (not cached)", async () => {
    const notFound = new AppError("INTERNAL", "钉钉接口 user/get 返回错误 errcode 60121（找不到该用户）", {
      details: { api: "user/get", errcode: 60121, errmsg: "找不到该用户" },
    });
    const dir = directory({ ghost: notFound, nameless: {} });
    const unionIdOf = createUnionIdSource(dir);
    const ghost = await failure(unionIdOf("ghost"));
    expect(ghost).toMatchObject({ retryable: false, code: "directory.60121" });
    expect(ghost.message).toMatch(/ghost.*60121/);
    expect(await failure(unionIdOf("nameless"))).toMatchObject({ retryable: false, code: "directory.noUnionId" });
    await failure(unionIdOf("ghost"));
    expect(dir.calls).toEqual(["ghost", "nameless", "ghost"]);
  });

  it("a directory that kept failing, or kept rejecting the token, may answer later: retryable", async () => {
    const transient = new AppError("INTERNAL", "钉钉接口 user/get 重试 3 次后仍失败", {
      details: { reason: "HTTP 502" },
    });
    const badToken = new AppError("INTERNAL", "拒绝了刷新后的 access_token", {
      details: { api: "user/get", errcode: 88 },
    });
    const unionIdOf = createUnionIdSource(directory({ a: transient, b: badToken, c: new Error("socket hang up") }));
    for (const user of ["a", "b", "c"]) {
      expect(await failure(unionIdOf(user)), user).toMatchObject({ retryable: true, code: "directory.unavailable" });
    }
  });
});

describe("isRetryableAnswer", () => {
  it("retries a throttled to-do create whatever its status, and not other 4xx", () => {
    expect(isRetryableAnswer(400, "todo.taskCreate.flowControlError")).toBe(true);
    expect(isRetryableAnswer(403, "todo.taskCreate.flowControlError")).toBe(true);
    expect(isRetryableAnswer(400, "param.invalid")).toBe(false);
  });
});
