import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  approvalCardDecided,
  approvalCardFixture,
  approvalCardReassigned,
  approvalCardStale,
  buildApprovalCard,
  buildDigestCard,
  buildEscalationCard,
  buildNoticeCard,
  buildProgressCard,
  buildTargetCard,
  buildTargetInfoCard,
  type CardDefinition,
  type CardId,
  type CardParams,
  cardActionSchemas,
  cardDefinitions,
  checkCardParams,
  digestCardFixture,
  escalationCardClosed,
  escalationCardFixture,
  escalationCardHandled,
  escalationCardRaised,
  escalationCardResolved,
  findCardDefinition,
  noticeCardFixture,
  parseCardAction,
  progressCardEvaluated,
  progressCardFixture,
  progressCardReported,
  progressReportFixture,
  renderCardText,
  targetCardConfirmed,
  targetCardDisputed,
  targetCardFixture,
} from "../../cards/index.ts";
import { placeholders } from "../../cards/render-text.ts";
import { parseVisibleWhen, type VisibleWhenNode, visibleWhenVariables } from "../../cards/visible-when.ts";

const at = new Date("2025-11-23T02:32:00Z"); // 11月23日 10:32 in Asia/Shanghai
const ids = Object.keys(cardDefinitions) as CardId[];

/** Every builder of every card, on its fixture. */
const built: Record<CardId, [string, CardParams][]> = {
  target: [
    ["pending", buildTargetCard(targetCardFixture)],
    ["info", buildTargetInfoCard(targetCardFixture)],
    ["confirmed", targetCardConfirmed(targetCardFixture, at)],
    ["disputed", targetCardDisputed(targetCardFixture)],
  ],
  progress: [
    ["pending", buildProgressCard(progressCardFixture)],
    ["reported", progressCardReported(progressCardFixture, progressReportFixture, at)],
    ["met", progressCardEvaluated(progressCardFixture, { status: "MET", reason: null, actual: 86_000n })],
    [
      "missed",
      progressCardEvaluated(progressCardFixture, { status: "MISSED", reason: "BELOW_TARGET", actual: 50_000n }),
    ],
    ["no-report", progressCardEvaluated(progressCardFixture, { status: "MISSED", reason: "NO_REPORT", actual: null })],
    ["excused", progressCardEvaluated(progressCardFixture, { status: "EXCUSED", reason: "ON_LEAVE", actual: null })],
  ],
  escalation: [
    ["open", buildEscalationCard(escalationCardFixture)],
    ["coach", escalationCardHandled(escalationCardFixture, "coach", at)],
    ["adjust", escalationCardHandled(escalationCardFixture, "adjust", at)],
    ["ack", escalationCardHandled(escalationCardFixture, "ack", at)],
    [
      "resolved",
      escalationCardResolved(escalationCardFixture, { period: "2026-W16", target: 90_000n, actual: 95_000n }),
    ],
    ["raised", escalationCardRaised(escalationCardFixture, "已上报至王建国")],
    ["closed", escalationCardClosed(escalationCardFixture)],
  ],
  approval: [
    ["pending", buildApprovalCard(approvalCardFixture)],
    ["approved", approvalCardDecided(approvalCardFixture, "approve", "同意，二季度重点跟进新客户", at)],
    ["rejected", approvalCardDecided(approvalCardFixture, "reject", undefined, at)],
    ["stale", approvalCardStale(approvalCardFixture)],
    ["reassigned", approvalCardReassigned(approvalCardFixture, { userId: "wangqiang20", name: "王强" })],
  ],
  digest: [["sent", buildDigestCard(digestCardFixture)]],
  notice: [["sent", buildNoticeCard(noticeCardFixture)]],
};

/** docs/domain.md "Card actions": action → the params a click carries besides `action`. */
const designActions: Record<string, Record<string, string[]>> = {
  target: { confirm: [], dispute: ["amount", "reason"] },
  progress: { report: ["amount", "newCustomers", "note"] },
  escalation: { coach: [], adjust: [], ack: [] },
  approval: { approve: ["comment"], reject: ["comment"] },
};

const sample = { text: "客户项目推迟到明年", amount: "35万", number: "2" } as const;

function view(id: CardId, params: CardParams, userId?: string) {
  return renderCardText(
    cardDefinitions[id],
    params.cardParamMap,
    userId ? params.privateParamMap?.[userId] : undefined,
  );
}

function builtState(id: CardId, state: string): CardParams {
  const params = built[id].find(([s]) => s === state)?.[1];
  if (!params) throw new Error(`no ${state} build for ${id}`);
  return params;
}

function statusComparisons(node: VisibleWhenNode): string[] {
  if (node.kind === "compare") return node.name === "status" ? [node.value] : [];
  if (node.kind === "truthy") return [];
  if (node.kind === "not") return statusComparisons(node.operand);
  return [...statusComparisons(node.left), ...statusComparisons(node.right)];
}

function referencedVariables(def: CardDefinition): Set<string> {
  const texts = [def.heading, ...def.layout.map((r) => r.text), ...def.links.map((l) => l.label)];
  const conditions = [...def.layout, ...def.buttons, ...def.links].flatMap((x) =>
    x.visibleWhen ? [x.visibleWhen] : [],
  );
  return new Set([
    ...texts.flatMap(placeholders),
    ...conditions.flatMap(visibleWhenVariables),
    ...def.links.map((l) => l.urlVariable),
  ]);
}

describe("card registry", () => {
  it("lists each definition under its own id with a distinct template config key", () => {
    expect(ids.sort()).toEqual(["approval", "digest", "escalation", "notice", "progress", "target"]);
    for (const id of ids) expect(cardDefinitions[id].id).toBe(id);
    const keys = ids.map((id) => cardDefinitions[id].templateIdConfigKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key).toMatch(/^DINGTALK_CARD_TEMPLATE_[A-Z]+$/);
    expect(findCardDefinition("target")).toBe(cardDefinitions.target);
    expect(findCardDefinition("toString")).toBeUndefined();
  });
});

describe.each(ids)("card %s: definition", (id) => {
  const def: CardDefinition = cardDefinitions[id];

  it("refers only to declared variables and declares none it does not use", () => {
    const used = referencedVariables(def);
    expect([...used].filter((name) => !(name in def.variables))).toEqual([]);
    expect(Object.keys(def.variables).filter((name) => !used.has(name))).toEqual([]);
  });

  it("keeps status values, buttons and forms consistent", () => {
    const conditions = [...def.layout, ...def.buttons].flatMap((x) => (x.visibleWhen ? [x.visibleWhen] : []));
    for (const value of conditions.flatMap((c) => statusComparisons(parseVisibleWhen(c)))) {
      expect(Object.keys(def.states)).toContain(value);
    }
    if (Object.keys(def.states).length > 0)
      expect(Object.keys(def.variables)).toEqual(expect.arrayContaining(["status", "statusText"]));
    expect(new Set(def.buttons.map((b) => b.id)).size).toBe(def.buttons.length);
    for (const b of def.buttons) {
      const names = (b.form ?? []).map((f) => f.name);
      expect(new Set(names).size).toBe(names.length);
      expect(names).not.toContain("action");
    }
  });

  it("has exactly the buttons and params of docs/domain.md, Card actions", () => {
    const expected = designActions[id] ?? {};
    const actual: Record<string, string[]> = {};
    for (const b of def.buttons) {
      const action = b.actionParams.action ?? "";
      const params = [
        ...Object.keys(b.actionParams).filter((k) => k !== "action"),
        ...(b.form ?? []).map((f) => f.name),
      ];
      expect(actual[action] ?? params.sort(), `${b.id} sends the same params as its twin`).toEqual(params.sort());
      actual[action] = params;
    }
    expect(actual).toEqual(expected);
    expect(id in cardActionSchemas).toBe(def.buttons.length > 0);
  });

  it("sends button params the card-action schema accepts, and refuses them without required fields", () => {
    for (const b of def.buttons) {
      const form = b.form ?? [];
      const full = { ...b.actionParams, ...Object.fromEntries(form.map((f) => [f.name, sample[f.type]])) };
      const minimal = {
        ...b.actionParams,
        ...Object.fromEntries(form.filter((f) => f.required).map((f) => [f.name, sample[f.type]])),
      };
      expect(parseCardAction(id, full)).toMatchObject({ ok: true, action: { card: id } });
      expect(parseCardAction(id, minimal).ok, `${b.id} with required fields only`).toBe(true);
      expect(parseCardAction(id, { ...full, injected: "x" }).ok).toBe(false);
      for (const f of form.filter((x) => x.required)) {
        const { [f.name]: _dropped, ...without } = full;
        expect(parseCardAction(id, without).ok, `${b.id} without ${f.name}`).toBe(false);
      }
    }
  });
});

describe.each(ids)("card %s: built from its fixture", (id) => {
  it.each(built[id])("%s: every declared variable, strings only, within DingTalk's limits", (_state, params) => {
    expect(checkCardParams(cardDefinitions[id], params)).toEqual([]);
    const states = Object.keys(cardDefinitions[id].states);
    if (states.length > 0) expect(states).toContain(params.cardParamMap.status);
  });
});

describe("builders refuse invalid input", () => {
  const bad: [string, () => unknown][] = [
    ["target: months do not sum up", () => buildTargetCard({ ...targetCardFixture, amount: 4_200_001n })],
    ["target: 11 months", () => buildTargetCard({ ...targetCardFixture, months: targetCardFixture.months.slice(1) })],
    ["target: negative amount", () => buildTargetCard({ ...targetCardFixture, amount: -1n })],
    ["target: parent smaller", () => buildTargetCard({ ...targetCardFixture, parent: { name: "华东", amount: 1n } })],
    [
      "target: blank owner",
      () => targetCardConfirmed({ ...targetCardFixture, owner: { userId: "x", name: "  " } }, at),
    ],
    [
      "target: amount as number",
      () => buildTargetCard({ ...targetCardFixture, amount: 4_200_000 as unknown as bigint }),
    ],
    ["progress: no such week", () => buildProgressCard({ ...progressCardFixture, period: "2026-W54" })],
    ["progress: negative report", () => progressCardReported(progressCardFixture, { amount: -5n }, at)],
    ["escalation: no misses", () => buildEscalationCard({ ...escalationCardFixture, misses: [] })],
    ["escalation: unknown action", () => escalationCardHandled(escalationCardFixture, "fire" as "ack", at)],
    ["approval: step 3 of 2", () => buildApprovalCard({ ...approvalCardFixture, step: { index: 3, total: 2 } })],
    ["approval: no reason", () => buildApprovalCard({ ...approvalCardFixture, reason: "" })],
    ["digest: not a URL", () => buildDigestCard({ ...digestCardFixture, dashboardUrl: "dashboard" })],
    [
      "digest: URL over 1 KB",
      () => buildDigestCard({ ...digestCardFixture, dashboardUrl: `https://x.cn/${"a".repeat(1100)}` }),
    ],
    ["notice: no lines", () => buildNoticeCard({ ...noticeCardFixture, lines: [] })],
  ];
  it.each(bad)("%s", (_name, build) => {
    expect(build).toThrow(z.ZodError);
  });
});

describe("what each viewer sees (render-text)", () => {
  const labels = (r: { buttons: { label: string }[] }) => r.buttons.map((b) => b.label);

  it("target: the owner may confirm or dispute; co-owners and later states show no buttons", () => {
    const pending = builtState("target", "pending");
    const info = builtState("target", "info");
    const confirmed = builtState("target", "confirmed");
    const disputed = builtState("target", "disputed");
    const owner = view("target", pending, "lina01");
    expect(owner.title).toBe("2026年度销售目标 · 李娜");
    expect(owner.lines).toEqual(
      expect.arrayContaining([
        "销售额目标：**420万**",
        "占比：华东 3,600万 中的 420万（11.7%）",
        "季度：Q1 89万 · Q2 106万 · Q3 110万 · Q4 115万",
        "协同负责人：王磊、赵敏",
        "行动参考：每周约 12 条线索、5 次拜访、2 份方案",
        "版本：v1",
      ]),
    );
    expect(labels(owner)).toEqual(["确认", "有异议"]);
    expect(owner.buttons[1]?.form?.map((f) => [f.name, f.required])).toEqual([
      ["reason", true],
      ["amount", true],
    ]);
    expect(labels(view("target", pending, "wanglei02"))).toEqual([]);
    expect(view("target", pending, "wanglei02").lines).toContain("你是协同负责人，目标由 李娜 确认");
    expect(labels(view("target", pending))).toEqual([]);
    expect(labels(view("target", info, "lina01"))).toEqual([]);
    expect(view("target", confirmed, "lina01")).toMatchObject({
      buttons: [],
      status: { text: "已确认 · 11月23日 10:32" },
    });
    expect(view("target", disputed, "lina01")).toMatchObject({
      buttons: [],
      status: { text: "已提出异议，等待经理审批" },
    });
  });

  it("progress: 提交 while open, 修改 after reporting, nothing once evaluated", () => {
    const pending = view("progress", buildProgressCard(progressCardFixture), "lina01");
    expect(pending.title).toBe("2026-W14 (3/30–4/5) 进度填报");
    expect(pending.lines).toEqual(
      expect.arrayContaining([
        "本周目标：**7万**",
        "年度累计：76万 / 89万（达成 85%）",
        "每周需完成 8.82万，才能达成全年 420万",
        "请在 4月7日 12:00 前填报",
      ]),
    );
    expect(labels(pending)).toEqual(["提交"]);
    expect(pending.buttons[0]?.form?.map((f) => f.name)).toEqual(["amount", "newCustomers", "note"]);
    const reported = progressCardReported(progressCardFixture, { amount: 350_000n }, new Date("2025-11-23T08:05:00Z"));
    expect(view("progress", reported, "lina01")).toMatchObject({
      status: { text: "已提交：35万元（11月23日 16:05）" },
    });
    expect(labels(view("progress", reported, "lina01"))).toEqual(["修改"]);
    expect(labels(view("progress", reported, "zhangwei10"))).toEqual([]);
    const evaluated = (verdict: Parameters<typeof progressCardEvaluated>[1]) =>
      view("progress", progressCardEvaluated(progressCardFixture, verdict), "lina01");
    // 李娜's W14 target is 7万: 8.6万 is 123%, 5万 is 71%.
    expect(evaluated({ status: "MET", reason: null, actual: 86_000n })).toMatchObject({
      buttons: [],
      status: { state: "closed", text: "已评估：完成 8.6万元，达成 123%" },
    });
    expect(evaluated({ status: "MISSED", reason: "BELOW_TARGET", actual: 50_000n })).toMatchObject({
      buttons: [],
      status: { state: "closed", text: "已评估：完成 5万元，71%，未达标" },
    });
    expect(evaluated({ status: "MISSED", reason: "NO_REPORT", actual: null })).toMatchObject({
      buttons: [],
      status: { state: "closed", text: "已评估：未填报" },
    });
    expect(evaluated({ status: "EXCUSED", reason: "ON_LEAVE", actual: null })).toMatchObject({
      buttons: [],
      status: { state: "closed", text: "已评估：免考核（休假）" },
    });
    expect(evaluated({ status: "EXCUSED", reason: "BEFORE_PUBLISH", actual: null })).toMatchObject({
      status: { text: "已评估：免考核（目标在本期开始后才发布）" },
    });
    // The same card does not take a figure from anyone: no 提交, no 修改.
    expect(
      labels(
        view(
          "progress",
          progressCardEvaluated(progressCardFixture, { status: "MET", reason: null, actual: 1n }),
          "zhangwei10",
        ),
      ),
    ).toEqual([]);
  });

  it("escalation: says why, offers three actions to the manager, then shows the choice", () => {
    const open = view("escalation", buildEscalationCard(escalationCardFixture), "zhangwei10");
    expect(open.title).toBe("李娜（华东）连续2周未达标");
    expect(open.lines).toEqual(
      expect.arrayContaining([
        "连续2周未达标：W14 62%，W15 未填报",
        "W14：目标 7万，完成 4.34万（62%）",
        "W15：目标 9万，未填报",
      ]),
    );
    expect(labels(open)).toEqual(["安排辅导", "发起目标调整", "已知悉"]);
    expect(labels(view("escalation", buildEscalationCard(escalationCardFixture), "lina01"))).toEqual([]);
    const texts = { coach: "已安排辅导", adjust: "已发起目标调整", ack: "已知悉" } as const;
    for (const action of ["coach", "adjust", "ack"] as const) {
      const after = view("escalation", escalationCardHandled(escalationCardFixture, action, at), "zhangwei10");
      expect(after).toMatchObject({ buttons: [], status: { text: `${texts[action]} · 张伟 11月23日 10:32` } });
    }
  });

  it("escalation: a raised level says why; a card passed over or closed offers nothing and says why", () => {
    const level2 = { ...escalationCardFixture, manager: { userId: "wjg", name: "王建国" }, level: 2 };
    const raisedTo = view(
      "escalation",
      buildEscalationCard({ ...level2, levelNote: "张伟 2个工作日未处理，已上报" }),
      "wjg",
    );
    expect(raisedTo.lines).toContain("第2级：张伟 2个工作日未处理，已上报");
    expect(labels(raisedTo)).toEqual(["安排辅导", "发起目标调整", "已知悉"]);
    const passed = view("escalation", escalationCardRaised(escalationCardFixture, "已上报至王建国"), "zhangwei10");
    expect(passed).toMatchObject({ buttons: [], status: { state: "raised", text: "已上报至王建国" } });
    expect(passed.lines).toContain("已上报至上级，此卡片无需你再处理");
    const closed = view("escalation", escalationCardClosed(escalationCardFixture), "zhangwei10");
    expect(closed).toMatchObject({ buttons: [], status: { state: "closed" } });
    expect(closed.status?.text).toMatch(/人员离职/);
  });

  it("approval: shows the diff and step, 同意 / 驳回 only for the current approver", () => {
    const pending = view("approval", buildApprovalCard(approvalCardFixture), "zhangwei10");
    expect(pending.lines).toEqual(
      expect.arrayContaining([
        "变更：**420万 → 380万（-9.5%）**",
        "上级：华东 3,600万 → 3,600万（不变）",
        "预留：0 → 40万（+40万）",
        "近期达成：W12 95% · W13 88% · W14 62% · W15 未填报",
        "第1步/共2步",
      ]),
    );
    expect(labels(pending)).toEqual(["同意", "驳回"]);
    expect(labels(view("approval", buildApprovalCard(approvalCardFixture), "lina01"))).toEqual([]);
    const approved = approvalCardDecided(approvalCardFixture, "approve", "同意", at);
    expect(view("approval", approved, "zhangwei10")).toMatchObject({
      buttons: [],
      status: { state: "approved", text: "已同意 · 张伟 11月23日 10:32（意见：同意）" },
    });
  });

  it("digest and notice: exceptions first, a link, no buttons", () => {
    const digest = view("digest", buildDigestCard(digestCardFixture));
    expect(digest.lines[0]).toBe("**需要关注（6）**");
    expect(digest.lines[1]).toBe("连续未达标 · 李娜（华东） · 连续2周：W14 62%，W15 未填报");
    expect(digest.lines).toContain("年度累计销售额 4,020万 / 4,460万（90% ▲1.4）");
    expect(digest.lines).toContain("数据完整度 92%（138/150 已填报）");
    expect(digest.links).toEqual([{ id: "dashboard", label: "打开仪表盘", url: digestCardFixture.dashboardUrl }]);
    expect(digest.buttons).toEqual([]);
    const calm = view("digest", buildDigestCard({ ...digestCardFixture, exceptions: [] }));
    expect(calm.lines[0]).toBe("本期无异常");
    const notice = view("notice", buildNoticeCard(noticeCardFixture));
    expect(notice.title).toBe("目标变更申请：第1步已同意");
    expect(notice.links[0]?.label).toBe("查看申请");
    expect(view("notice", buildNoticeCard({ title: "提醒", lines: ["无链接"] })).links).toEqual([]);
  });
});
