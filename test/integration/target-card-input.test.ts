import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkCardParams } from "../../cards/check-card-params.ts";
import { renderCardText } from "../../cards/render-text.ts";
import { buildTargetCard, targetCard } from "../../cards/target.ts";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import { createAndDeliverBody } from "../../src/dingtalk/card-delivery-body.ts";
import { targetCardInput } from "../../src/flows/confirm/target-card-input.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";

let db: TestDatabase;
let planId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  ({ planId } = await seedDemo(db));
}, 120_000);
afterAll(() => db.close());

describe("a leaf target as its card", () => {
  it("李娜's card: her amount and months, her share of 华东, her manager as co-owner, within DingTalk's limits", async () => {
    const leaf = await db.prisma.target.findFirstOrThrow({
      where: { planId, ownerUserId: "r11001", dimension: "OWNER" },
    });
    const region = await db.prisma.target.findFirstOrThrow({ where: { planId, dimension: "REGION", key: "11" } });
    const input = await targetCardInput(db, leaf.id);
    expect(input).toMatchObject({
      planName: "2026年度销售目标",
      metric: "REVENUE",
      version: leaf.version,
      owner: { userId: "r11001", name: "李娜" },
      amount: leaf.amount,
      parent: { name: "华东", amount: region.amount },
    });
    expect(input.coOwners.map((c) => c.userId)).toEqual(["m11"]);
    expect(input.months.reduce((a, b) => a + b, 0n)).toBe(leaf.amount);

    const card = buildTargetCard(input);
    expect(checkCardParams(targetCard, card)).toEqual([]);
    const seenByLi = renderCardText(targetCard, card.cardParamMap, card.privateParamMap?.r11001);
    expect(seenByLi.buttons.map((b) => b.id)).toEqual(["confirm", "dispute"]);
    expect(seenByLi.lines.join("\n")).toMatch(/华东 .+ 中的 /);
    const seenByManager = renderCardText(targetCard, card.cardParamMap, card.privateParamMap?.m11);
    expect(seenByManager.buttons).toEqual([]);

    const body = createAndDeliverBody({
      templateId: "t.schema",
      outTrackId: `target-${leaf.id}-v${leaf.version}`,
      card,
      userId: "r11001",
      robotCode: "ding1",
    });
    expect(body).toMatchObject({
      openSpaceId: "dtv1.card//IM_ROBOT.r11001",
      callbackType: "STREAM",
      privateData: { r11001: { cardParamMap: { canAct: "true" } } },
    });
  });

  it("refuses a target without owner or months, and names it", async () => {
    const segment = await db.prisma.target.findFirstOrThrow({ where: { planId, dimension: "CUSTOMER_SEGMENT" } });
    await expect(targetCardInput(db, segment.id)).rejects.toThrow(/尚未分解到月/);
    await expect(targetCardInput(db, "nope")).rejects.toThrow(/目标 nope 不存在/);
  });
});
