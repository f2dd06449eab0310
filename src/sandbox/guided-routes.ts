import type Router from "@koa/router";
import { z } from "zod";
import type { AppDeps } from "../app-deps.ts";
import type { Emulator } from "../dingtalk/emulator/emulator-types.ts";
import { validate } from "../http/validate.ts";
import { CLOCK_STEPS, type ClockStep, clockText } from "./business-clock.ts";
import { guidedState, moveClock, publishDemoPlan, serial } from "./guided-sandbox.ts";
import { simulatedTeam } from "./simulate-team.ts";

const CLOCK_TO = "to 应为 next-day、friday-16、monday-12、next-week 之一，或带时区的 ISO 时间";
const ZEmpty = z.object({}).strict();
const ZClock = z
  .object({
    to: z.union([z.enum(CLOCK_STEPS, { error: CLOCK_TO }), z.iso.datetime({ offset: true, error: CLOCK_TO })]),
  })
  .strict();

/**
 * The guided sandbox's controls (sandbox mode only, registered next to the other /sandbox routes): the demo
 * plan's state and the three roles, 发布目标, the business clock and 模拟团队.
 */
export function registerGuidedRoutes(router: Router, deps: AppDeps, emulator: Emulator): void {
  const clock = deps.businessClock;
  if (!clock) return;
  const team = simulatedTeam(deps, emulator);
  const d = { ...deps, businessClock: clock };
  const limit = 4 * 1024;
  const one = serial();

  router.get("/sandbox/api/state", async (ctx) => {
    ctx.body = await guidedState(d);
  });

  router.post("/sandbox/api/publish", validate(ZEmpty, limit), async (ctx) => {
    ctx.body = await one(() => publishDemoPlan(deps));
  });

  router.post("/sandbox/api/simulate", validate(ZEmpty, limit), async (ctx) => {
    ctx.body = await one(() => team.simulate());
  });

  router.post("/sandbox/api/clock", validate(ZClock, limit), async (ctx) => {
    const { to } = ctx.state.body as z.output<typeof ZClock>;
    ctx.body = await one(async () => {
      let late = 0;
      const step = CLOCK_STEPS.includes(to as never) ? (to as ClockStep) : new Date(to);
      const { ran } = await moveClock(d, step, async (r) => {
        late += await team.afterTick(r);
      });
      const now = clock.now();
      // team.late: the simulated team's late reports, answering a progress reminder on the way.
      return { now: now.toISOString(), nowText: clockText(now, deps.config.timezone), ran, team: { late } };
    });
  });
}
