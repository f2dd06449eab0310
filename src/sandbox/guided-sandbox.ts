import type { AppDeps } from "../app-deps.ts";
import { DIRECTOR_ID } from "../demo/reference-org.ts";
import { DEMO_PLAN_NAME } from "../demo/seed-demo.ts";
import { periodKey } from "../domain/period-key.ts";
import { addDays } from "../domain/plain-date.ts";
import { localDate, localDateTime } from "../domain/zoned-time.ts";
import { publishPlan } from "../flows/confirm/publish-plan.ts";
import { AppError } from "../lib/errors.ts";
import { type BusinessClock, type ClockStep, clockText, stepTarget } from "./business-clock.ts";

/** The rep the tour starts from (李娜 of 华东, whom the card fixtures use too): she has a manager and targets. */
export const TOUR_REP_ID = "r11001";

export interface RoleView {
  userId: string;
  name: string;
  hint: string;
}

export interface GuidedState {
  now: string;
  nowText: string;
  /** null while the demo company is still being built (a few seconds after start). */
  plan: { id: string; name: string; status: string; period: string } | null;
  published: boolean;
  roles: { rep: RoleView; manager: RoleView; director: RoleView } | null;
}

export interface RanJob {
  job: string;
  period: string;
  outcome: string;
  error?: string;
}

type Deps = AppDeps & { businessClock: BusinessClock };

/** Demo-seed promises seen settled: the state answers at once and shows no plan until the company is whole. */
const seeded = new WeakSet<Promise<void>>();

/** Whether the demo company is fully built (true when the service seeds none). Never waits. */
function demoSeeded(deps: AppDeps): boolean {
  const ready = deps.demoReady;
  if (!ready || seeded.has(ready)) return true;
  void ready.then(() => seeded.add(ready));
  return false;
}

/**
 * The demo plan once the company is whole, or a 409 that says to wait: the seed writes the plan before its
 * targets, and a plan read half-way (PostgreSQL lets another connection see it) would refuse to publish.
 */
export async function demoPlan(deps: AppDeps) {
  const plan = demoSeeded(deps) ? await deps.db.prisma.plan.findFirst({ where: { name: DEMO_PLAN_NAME } }) : null;
  if (!plan) throw new AppError("CONFLICT", "演示公司还在准备中，请过几秒刷新页面再试");
  return plan;
}

export async function guidedState(deps: Deps): Promise<GuidedState> {
  const now = deps.now();
  const zone = deps.config.timezone;
  const base = { now: now.toISOString(), nowText: clockText(now, zone) };
  const plan = demoSeeded(deps) ? await deps.db.prisma.plan.findFirst({ where: { name: DEMO_PLAN_NAME } }) : null;
  if (!plan) return { ...base, plan: null, published: false, roles: null };
  const rep = await deps.db.prisma.staff.findUnique({ where: { userId: TOUR_REP_ID } });
  const manager = rep?.managerUserId
    ? await deps.db.prisma.staff.findUnique({ where: { userId: rep.managerUserId } })
    : null;
  const director = await deps.db.prisma.staff.findUnique({ where: { userId: DIRECTOR_ID } });
  const roles =
    rep && manager && director
      ? {
          rep: {
            userId: rep.userId,
            name: rep.name,
            hint: `你是客户经理${rep.name}：先在目标卡片上点「确认」，再在聊天里报进度（如「本周完成3.5万，新客户2家」），想改目标就发「申请把目标调整为150万，原因：大客户流失」。`,
          },
          manager: {
            userId: manager.userId,
            name: manager.name,
            hint: `你是${manager.title ?? "区域经理"}${manager.name}：下属申请调整目标时你会收到审批卡片，点「同意」或「驳回」；下属连续未达标会升级到你这里；发「团队进度」看全队。`,
          },
          director: {
            userId: director.userId,
            name: director.name,
            hint: `你是销售总监${director.name}：每周一 ${deps.config.digestTime} 收到周报和图表；发「看板」打开数据看板。`,
          },
        }
      : null;
  return {
    ...base,
    plan: {
      id: plan.id,
      name: plan.name,
      status: plan.status,
      period: periodKey(plan.cadence, localDate(now, plan.timezone)),
    },
    published: plan.status === "PUBLISHED",
    roles,
  };
}

/** 发布目标: the demo plan through the same code as `POST /api/plans/:id/publish`; a second time is a 409. */
export async function publishDemoPlan(deps: AppDeps): Promise<{ cards: number; message: string }> {
  const plan = await demoPlan(deps);
  if (plan.status !== "DRAFT")
    throw new AppError("CONFLICT", "演示计划已发布，无需再发；下一步可点「模拟团队」，或拨动业务时钟");
  const { queued } = await publishPlan(deps, plan.id);
  return {
    cards: queued,
    message: `已向负责人发出 ${queued} 张目标卡片：每人在聊天里看到自己的目标，可点「确认」或「有异议」。`,
  };
}

/**
 * Moves the business clock forward to `to` (a step or an instant), stopping at every moment a job fires on the
 * way and ticking the scheduler there — the same tick a daily trigger makes, through runOnce's claims — so each
 * job runs at its own time, in order, exactly once per period.
 */
export async function moveClock(
  deps: Deps,
  to: ClockStep | Date,
  afterTick: (ran: RanJob[]) => Promise<unknown> = async () => undefined,
): Promise<{ from: Date; ran: RanJob[] }> {
  const clock = deps.businessClock;
  const scheduler = deps.scheduler;
  if (!scheduler) throw new AppError("CONFLICT", "调度器尚未就绪，请稍后再试");
  const zone = deps.config.timezone;
  const from = clock.now();
  const target = to instanceof Date ? to : stepTarget(to, from, zone);
  if (target <= from) clock.moveTo(target); // refuses with the reason
  const ran: RanJob[] = [];
  const last = localDate(target, zone);
  for (let d = localDate(from, zone); d <= last; d = addDays(d, 1)) {
    for (const time of scheduler.fireTimes()) {
      const at = localDateTime(d, time, zone);
      if (at <= from || at > target) continue;
      if (at > clock.now()) clock.moveTo(at);
      const tick: RanJob[] = [];
      for (const r of await scheduler.tick(at, "schedule")) {
        if (r.ran)
          tick.push({ job: r.job, period: r.period, outcome: r.status, ...(r.error ? { error: r.error } : {}) });
      }
      ran.push(...tick);
      await afterTick(tick);
    }
  }
  if (target > clock.now()) clock.moveTo(target);
  return { from, ran };
}

/** One sandbox action at a time: a second click waits for the first (a clock move mid-simulation would mix weeks). */
export function serial() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}
