/**
 * The reference company of docs/domain.md "Who uses it": 150 people — a sales director, five regional managers and their reps,
 * product owners, marketing and sales operations. Deterministic, so samples, tests and the sandbox agree.
 */
export interface RegionInfo {
  deptId: string;
  name: string;
  reps: number;
  /** 2025 revenue in yuan (sums to 1.2亿). */
  lastYear: bigint;
  /** Planned growth for 2026, e.g. 0.25 = +25 %. */
  growth: number;
}

export const REGIONS: RegionInfo[] = [
  { deptId: "11", name: "华东", reps: 40, lastYear: 42_000_000n, growth: 0.25 },
  { deptId: "12", name: "华南", reps: 32, lastYear: 30_000_000n, growth: 0.2 },
  { deptId: "13", name: "华北", reps: 28, lastYear: 24_000_000n, growth: 0.15 },
  { deptId: "14", name: "西北", reps: 15, lastYear: 10_000_000n, growth: 0.05 },
  { deptId: "15", name: "东北", reps: 18, lastYear: 14_000_000n, growth: 0.1 },
];

export const PRODUCT_LINES = ["智能终端", "云服务", "行业解决方案", "运维服务"] as const;
export const DIRECTOR_ID = "wangjianguo";

const SURNAMES =
  "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const GIVEN = [
  "伟",
  "芳",
  "敏",
  "静",
  "丽",
  "强",
  "磊",
  "军",
  "洋",
  "勇",
  "艳",
  "杰",
  "娟",
  "涛",
  "明",
  "超",
  "秀兰",
  "霞",
  "平",
  "刚",
  "桂英",
  "建华",
  "文",
  "华",
  "红",
  "志强",
  "玉兰",
  "燕",
  "鹏",
  "辉",
  "佳",
  "晨",
  "子涵",
  "浩然",
  "思远",
  "雨欣",
  "梓轩",
  "欣怡",
  "宇航",
  "诗琪",
];

/** A unique, stable Chinese name for the n-th generated person. */
export function personName(n: number): string {
  const s = SURNAMES[(n * 7) % SURNAMES.length] ?? "王";
  const g = GIVEN[(n * 13 + Math.floor(n / SURNAMES.length)) % GIVEN.length] ?? "伟";
  return s + g;
}

export function referenceOrg(): {
  departments: { id: string; name: string; parentId: string | null }[];
  staff: { userId: string; name: string; deptId: string; managerUserId: string | null; title: string; role: string }[];
} {
  const departments = [
    { id: "1", name: "星辰科技", parentId: null },
    { id: "10", name: "销售中心", parentId: "1" },
    ...REGIONS.map((r) => ({ id: r.deptId, name: `${r.name}大区`, parentId: "10" })),
    { id: "20", name: "产品部", parentId: "1" },
    { id: "30", name: "市场部", parentId: "1" },
    { id: "40", name: "销售运营部", parentId: "1" },
  ];
  const staff: ReturnType<typeof referenceOrg>["staff"] = [
    { userId: DIRECTOR_ID, name: "王建国", deptId: "10", managerUserId: null, title: "销售总监", role: "DIRECTOR" },
  ];
  let n = 0;
  const used = new Set(["王建国"]);
  const nextName = () => {
    let name = personName(n++);
    while (used.has(name)) name = personName(n++);
    used.add(name);
    return name;
  };
  for (const r of REGIONS) {
    const managerId = `m${r.deptId}`;
    staff.push({
      userId: managerId,
      name: nextName(),
      deptId: r.deptId,
      managerUserId: DIRECTOR_ID,
      title: `${r.name}区域经理`,
      role: "MANAGER",
    });
    for (let i = 1; i <= r.reps; i++) {
      // 李娜 in 华东 is the rep the card fixtures and the sandbox tour use.
      const name = r.deptId === "11" && i === 1 ? "李娜" : nextName();
      used.add(name);
      staff.push({
        userId: `r${r.deptId}${String(i).padStart(3, "0")}`,
        name,
        deptId: r.deptId,
        managerUserId: managerId,
        title: "客户经理",
        role: "REP",
      });
    }
  }
  PRODUCT_LINES.forEach((line, i) => {
    staff.push({
      userId: `p${i + 1}`,
      name: nextName(),
      deptId: "20",
      managerUserId: DIRECTOR_ID,
      title: `${line}产品经理`,
      role: "PRODUCT_OWNER",
    });
  });
  staff.push({
    userId: "mk1",
    name: nextName(),
    deptId: "30",
    managerUserId: DIRECTOR_ID,
    title: "市场经理",
    role: "MANAGER",
  });
  for (let i = 2; i <= 5; i++) {
    staff.push({
      userId: `mk${i}`,
      name: nextName(),
      deptId: "30",
      managerUserId: "mk1",
      title: "市场专员",
      role: "REP",
    });
  }
  staff.push({
    userId: "ops1",
    name: nextName(),
    deptId: "40",
    managerUserId: DIRECTOR_ID,
    title: "销售运营经理",
    role: "ADMIN",
  });
  staff.push({
    userId: "ops2",
    name: nextName(),
    deptId: "40",
    managerUserId: "ops1",
    title: "数据分析师",
    role: "ADMIN",
  });
  return { departments, staff };
}
