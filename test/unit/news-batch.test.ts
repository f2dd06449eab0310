import { describe, expect, it } from "vitest";
import { batchNews, cappedList, NEWS_LIST_MAX, newsKey } from "../../src/flows/news-batch.ts";

const item = (to: string, n: number, version = 1) => ({ to, id: `t${n}.v${version}`, line: `目标 ${n}` });

describe("batchNews: one message per person per kind", () => {
  it("groups by recipient, in sorted order, keeping each person's items in the order given", () => {
    const messages = batchNews("co-owner", [item("m2", 1), item("m1", 2), item("m2", 3), item("m1", 1)]);
    expect(messages.map((m) => [m.to, m.ids, m.count, m.list])).toEqual([
      ["m1", ["t2.v1", "t1.v1"], 2, "- 目标 2\n- 目标 1"],
      ["m2", ["t1.v1", "t3.v1"], 2, "- 目标 1\n- 目标 3"],
    ]);
  });

  it("an item repeated for the same person is listed once", () => {
    const [m] = batchNews("k", [item("m1", 1), item("m1", 1)]);
    expect(m).toMatchObject({ ids: ["t1.v1"], count: 1, list: "- 目标 1" });
  });

  it("nothing to say: no message", () => {
    expect(batchNews("k", [])).toEqual([]);
  });
});

describe("newsKey: made from what the message lists", () => {
  it("the same items in any order give the same key; another item, version, person or kind another", () => {
    const key = newsKey("co-owner", "m1", ["t1.v1", "t2.v1"]);
    expect(key).toMatch(/^news\.co-owner\.m1\.[A-Za-z0-9_-]{22}$/);
    expect(newsKey("co-owner", "m1", ["t2.v1", "t1.v1"])).toBe(key);
    const others = [
      newsKey("co-owner", "m1", ["t1.v1"]),
      newsKey("co-owner", "m1", ["t1.v2", "t2.v1"]),
      newsKey("co-owner", "m2", ["t1.v1", "t2.v1"]),
      newsKey("cfm-remind", "m1", ["t1.v1", "t2.v1"]),
    ];
    expect(new Set([key, ...others]).size).toBe(5);
  });

  it("batchNews uses it", () => {
    const [m] = batchNews("co-owner", [item("m1", 2), item("m1", 1)]);
    expect(m!.key).toBe(newsKey("co-owner", "m1", ["t1.v1", "t2.v1"]));
  });
});

describe("cappedList: a long list still fits a message", () => {
  it(`shows the first ${NEWS_LIST_MAX} lines, then 「等共 N 个」`, () => {
    const lines = Array.from({ length: 25 }, (_, i) => `目标 ${i + 1}`);
    const list = cappedList(lines).split("\n");
    expect(list).toHaveLength(NEWS_LIST_MAX + 1);
    expect(list[0]).toBe("- 目标 1");
    expect(list[NEWS_LIST_MAX - 1]).toBe(`- 目标 ${NEWS_LIST_MAX}`);
    expect(list.at(-1)).toBe("- 等共 25 个");
    expect(cappedList(lines.slice(0, NEWS_LIST_MAX)).split("\n")).toHaveLength(NEWS_LIST_MAX);
  });

  it("each line is one line, cut to 300 bytes, so 20 of them stay a few KB", () => {
    const list = cappedList(["甲\n乙", "很".repeat(500)]);
    const [first, second] = list.split("\n");
    expect(first).toBe("- 甲 乙");
    expect(new TextEncoder().encode(second!).length).toBeLessThanOrEqual(302);
    expect(second).toMatch(/…$/);
    const longest = cappedList(Array.from({ length: 100 }, () => "很".repeat(500)));
    expect(new TextEncoder().encode(longest).length).toBeLessThan(7_000);
  });
});
