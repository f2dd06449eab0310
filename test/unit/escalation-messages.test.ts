import { describe, expect, it } from "vitest";
import { paceWarning } from "../../src/domain/pace-warning.ts";
import { escalationCardId, parseEscalationCardId } from "../../src/flows/escalation/escalation-card-id.ts";
import {
  addresseesRecoveredText,
  ownerEscalatedText,
  paceWarningText,
  ytdLine,
} from "../../src/flows/escalation/escalation-messages.ts";

const figures = {
  metric: "REVENUE" as const,
  ytdActual: 803_400n,
  ytdTarget: 1_050_000n,
  annualTarget: 4_200_000n,
  requiredRunRate: 92_000n,
};

describe("escalation messages", () => {
  it("the owner's message: the reason, year to date with the gap, the run-rate, who was told", () => {
    const text = ownerEscalatedText({
      ownerName: "李娜",
      planName: "2026 销售目标",
      streak: 2,
      misses: [
        { period: "2026-W14", target: 70_000n, actual: 43_400n },
        { period: "2026-W15", target: 90_000n, actual: null },
      ],
      figures,
      period: "2026-W15",
      managerName: "张伟",
    });
    expect(text.split("\n")).toEqual([
      "李娜，你好。「2026 销售目标」连续2周未达标：W14 62%，W15 未填报。",
      "年度累计 80.34万元，按进度应完成 105万元（77%），差 24.66万元。要完成全年 420万元，此后每周需完成 9.2万元。",
      "按考核规则，此情况已同步给张伟，方便一起商量追赶计划；如有客观原因（如客户延期、请假），也可以直接和张伟沟通。",
    ]);
  });

  it("a monthly plan of customers counts 家 and 个月; a warning only behind pace does not call the period a miss", () => {
    const counts = {
      ...figures,
      metric: "NEW_CUSTOMERS" as const,
      ytdActual: 10n,
      ytdTarget: 20n,
      annualTarget: 48n,
      requiredRunRate: 5n,
    };
    const warning = paceWarning({ ytdActual: 10n, expectedToDate: 20n, firstMiss: false, onLeave: false });
    const text = paceWarningText({
      planName: "新客户",
      warning,
      miss: { period: "2026-05", target: 4n, actual: 4n },
      figures: counts,
      period: "2026-05",
    });
    expect(text).not.toMatch(/未达标/);
    expect(text).toMatch(/年度累计 10家，按进度应完成 20家（50%），差 10家。要完成全年 48家，此后每月需完成 5家。/);
  });

  it("ahead of pace says so; recoveries are listed in one message", () => {
    expect(ytdLine({ ...figures, ytdActual: 1_100_000n })).toMatch(/进度已达标/);
    expect(
      addresseesRecoveredText("计划", [
        { name: "李娜", recovery: { period: "2026-W17", target: 100n, actual: 120n } },
        { name: "赵涛", recovery: { period: "2026-W17", target: 100n, actual: 100n } },
      ]),
    ).toBe("「计划」以下同事已恢复达标，相关未达标升级已关闭：李娜（W17 120%）、赵涛（W17 100%）。");
  });

  it("card ids round-trip and refuse anything else", () => {
    const id = "0b9f7d6e-1234-4abc-9def-0123456789ab";
    expect(parseEscalationCardId(escalationCardId(id, 3))).toEqual({ escalationId: id, level: 3 });
    for (const bad of [`esc.${id}`, `esc.${id}.L`, `tgt.${id}.L1`, `esc.nope.L1`])
      expect(parseEscalationCardId(bad)).toBeNull();
  });
});
