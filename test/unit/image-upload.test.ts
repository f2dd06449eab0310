import { describe, expect, it } from "vitest";
import { DingTalkApiError } from "../../src/dingtalk/dingtalk-api-error.ts";
import { createOpenApiClient } from "../../src/dingtalk/openapi-client.ts";

/*
 * How the client reads `/media/upload`'s answers (docs/dingtalk.md §8, legacy host): what may pass later is
 * retryable, what never will is not. A fake fetch passed in plays DingTalk; no network.
 */

const PNG = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);

function clientAnswering(upload: () => Response) {
  const seen: { call: string; body?: unknown }[] = [];
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    seen.push({ call: `${init?.method ?? "GET"} ${url.pathname}${url.search}`, body: init?.body });
    if (url.pathname === "/gettoken") {
      return Response.json({ errcode: 0, errmsg: "ok", access_token: "t1", expires_in: 7200 });
    }
    return upload();
  }) as typeof fetch;
  const client = createOpenApiClient({
    apiBase: "http://dt.test",
    oapiBase: "http://oapi.test",
    clientId: "app",
    clientSecret: "secret",
    robotCode: "app",
    fetch: fakeFetch,
  });
  return { client, seen };
}

async function failure(upload: () => Response): Promise<DingTalkApiError> {
  const err = await clientAnswering(upload)
    .client.uploadImage(PNG, "x.png")
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DingTalkApiError);
  return err as DingTalkApiError;
}

describe("uploadImage answers", () => {
  it("errcode 0 gives the media_id; the file goes as multipart part `media` with the legacy token", async () => {
    const { client, seen } = clientAnswering(() =>
      Response.json({ errcode: 0, errmsg: "ok", type: "image", media_id: "@lAxyz", created_at: 1 }),
    );
    const result = await client.uploadImage(PNG, "chart.png");
    expect(result.media_id).toBe("@lAxyz");
    expect(seen.map((s) => s.call)).toEqual([
      "GET /gettoken?appkey=app&appsecret=secret",
      "POST /media/upload?access_token=t1&type=image",
    ]);
    const form = seen[1]?.body as FormData;
    const media = form.get("media") as File;
    expect(media.name).toBe("chart.png");
    expect(new Uint8Array(await media.arrayBuffer())).toEqual(PNG);
  });

  it("a gateway 5xx, an HTML page, system busy and the QPS limit are retryable", async () => {
    for (const answer of [
      () => new Response("<html>bad gateway</html>", { status: 502 }),
      () => new Response("<html>deny</html>", { status: 200 }),
      () => Response.json({ errcode: -1, errmsg: "系统繁忙" }),
      () => Response.json({ errcode: 90018, errmsg: "频率超过限制" }),
    ]) {
      expect((await failure(answer)).retryable).toBe(true);
    }
  });

  it("a refused file (bad type, too large) is final, and says which errcode", async () => {
    const err = await failure(() => Response.json({ errcode: 40006, errmsg: "不合法的文件大小" }));
    expect(err.retryable).toBe(false);
    expect(err.code).toBe("40006");
    expect(err.message).toMatch(/errcode 40006 不合法的文件大小/);
  });
});
