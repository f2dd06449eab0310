import type Router from "@koa/router";
import type { AppDeps } from "../app-deps.ts";
import { deadOutboxSummary } from "../dingtalk/outbox/outbox-routes.ts";
import { calendarCoverage } from "../domain/calendar-coverage.ts";
import { localDate } from "../domain/zoned-time.ts";

/**
 * GET /healthz — no auth. 503 only when the database does not answer: nothing works without it, and a load
 * balancer should take the replica out. A stream that is not connected answers 200 "degraded": the admin API
 * and the outbox still work, the SDK keeps reconnecting, and a restart would not bring DingTalk back sooner.
 * Dead outbox rows are counted for the operator (GET /api/outbox?status=dead lists them) but change no status:
 * they stay dead until someone acts, whatever the service's health now. A holiday calendar missing this year
 * or (from November) next year is reported with what to do, and changes no status either.
 */
export function registerHealthRoutes(router: Router, deps: AppDeps): void {
  router.get("/healthz", async (ctx) => {
    const dbOk = await deps.db.ping();
    const dead = dbOk ? await deadOutboxSummary(deps.db).catch(() => null) : null;
    const stream = deps.streamState();
    const connected = stream?.state === "connected";
    ctx.status = dbOk ? 200 : 503;
    ctx.body = {
      status: !dbOk ? "down" : connected ? "ok" : "degraded",
      db: dbOk ? deps.db.kind : "down",
      dingtalk: {
        mode: deps.config.sandbox ? "sandbox" : "live",
        // No stream client at all: a service started without a DingTalk app (tests without the emulator).
        stream: stream?.state ?? "not connected",
        since: stream?.since.toISOString() ?? null,
      },
      // The oldest dead row's queue time says how long someone has been missing a message (POST
      // /api/outbox/redrive sends them again once DingTalk is back).
      outbox: { dead: dead?.dead ?? null, oldestDeadAt: dead?.oldestDeadAt?.toISOString() ?? null },
      calendar: calendarCoverage(deps.calendar, localDate(deps.now(), deps.config.timezone)),
    };
  });
}
