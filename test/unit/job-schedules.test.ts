import { describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app-deps.ts";
import { defaultCalendar as cal } from "../../src/domain/calendar.ts";
import {
  confirmReminderRule,
  evaluateRule,
  firstWorkdayOfWeek,
  progressReminderRule,
  promptRule,
  reminderRule,
  weeklyPromptDay,
  weeklyPromptRule,
} from "../../src/domain/job-schedules.ts";
import { addDays } from "../../src/domain/plain-date.ts";
import { FLOWS } from "../../src/start-service.ts";

/** The jobs of the flows the service lists, in the order a trigger runs them. */
const scheduledJobs = (config: Pick<AppDeps["config"], "promptTime" | "digestTime">) =>
  FLOWS.flatMap((flow) => flow({ config } as AppDeps).jobs);

/** Every date of a range on which a rule is due, with the period it is due for. */
function dueDates(rule: typeof weeklyPromptRule, from: string, to: string): [string, string][] {
  const out: [string, string][] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    const period = rule.due(d, cal);
    if (period) out.push([d, period]);
  }
  return out;
}

describe("weekly-prompt: Friday, or the workday before when Friday is a holiday", () => {
  it("an ordinary week prompts on Friday", () => {
    expect(weeklyPromptDay("2026-W14", cal)).toBe("2026-04-03");
    expect(dueDates(weeklyPromptRule, "2026-03-30", "2026-04-05")).toEqual([["2026-04-03", "2026-W14"]]);
  });

  it("2026 National Day: Friday 10-02 is a holiday, so W40 prompts on Wednesday 09-30; W41 on Friday 10-09", () => {
    expect(dueDates(weeklyPromptRule, "2026-09-28", "2026-10-11")).toEqual([
      ["2026-09-30", "2026-W40"],
      ["2026-10-09", "2026-W41"],
    ]);
  });

  it("the Spring Festival week 2026-W08 has no workday and gets no prompt", () => {
    expect(weeklyPromptDay("2026-W08", cal)).toBeNull();
    expect(dueDates(weeklyPromptRule, "2026-02-16", "2026-02-22")).toEqual([]);
  });

  it("exactly one prompt day in every other week of 2026", () => {
    const all = dueDates(weeklyPromptRule, "2025-12-29", "2027-01-03");
    const weeks = new Set(all.map(([, w]) => w));
    expect(all.length).toBe(weeks.size);
    expect(weeks.size).toBe(52); // 53 ISO weeks in 2026, less W08
    for (const [date] of all) expect(cal.isWorkday(date)).toBe(true);
  });

  it("a run requested through the API is for the week the date falls in", () => {
    expect(weeklyPromptRule.periodOf("2026-10-01", cal)).toBe("2026-W40");
  });
});

describe("progress-reminder: first workday of the week, for the week before", () => {
  it("an ordinary Monday reminds about last week", () => {
    expect(dueDates(progressReminderRule, "2026-03-30", "2026-04-05")).toEqual([["2026-03-30", "2026-W13"]]);
  });

  it("Qingming: Monday 04-06 is a holiday, so the reminder for W14 goes out on Tuesday 04-07", () => {
    expect(dueDates(progressReminderRule, "2026-04-06", "2026-04-12")).toEqual([["2026-04-07", "2026-W14"]]);
  });

  it("after National Day the first workday of W41 is Thursday 10-08", () => {
    expect(firstWorkdayOfWeek("2026-W41", cal)).toBe("2026-10-08");
    expect(dueDates(progressReminderRule, "2026-10-05", "2026-10-11")).toEqual([["2026-10-08", "2026-W40"]]);
  });

  it("Spring Festival: W08 has no workday, so W07's reminder goes out on W09's first workday (02-24), once", () => {
    expect(firstWorkdayOfWeek("2026-W08", cal)).toBeNull();
    expect(dueDates(progressReminderRule, "2026-02-16", "2026-03-01")).toEqual([["2026-02-24", "2026-W07"]]);
  });

  it("over the whole year every working week gets exactly one reminder", () => {
    const periods = dueDates(progressReminderRule, "2026-01-05", "2027-01-10").map(([, p]) => p);
    expect(new Set(periods).size).toBe(periods.length);
    // Whole ISO weeks: W01's prompt is on 2025-12-31 (New Year), W53's reminder on 2027-01-04.
    const prompted = dueDates(weeklyPromptRule, "2025-12-29", "2027-01-03").map(([, p]) => p);
    expect(periods).toEqual(prompted);
    expect(periods).toHaveLength(52);
  });
});

describe("MONTH and QUARTER: prompt on the period's last workday, reminder on its evaluation day", () => {
  it("prompts: a 补班 Saturday (02-28), the day before May Day (04-30), a quarter's end before National Day (09-30)", () => {
    expect(dueDates(promptRule("MONTH"), "2026-01-01", "2026-12-31")).toEqual([
      ["2026-01-30", "2026-01"], // Saturday 01-31 is a weekend
      ["2026-02-28", "2026-02"], // make-up Saturday
      ["2026-03-31", "2026-03"],
      ["2026-04-30", "2026-04"],
      ["2026-05-29", "2026-05"],
      ["2026-06-30", "2026-06"],
      ["2026-07-31", "2026-07"],
      ["2026-08-31", "2026-08"],
      ["2026-09-30", "2026-09"],
      ["2026-10-30", "2026-10"],
      ["2026-11-30", "2026-11"],
      ["2026-12-31", "2026-12"],
    ]);
    expect(dueDates(promptRule("QUARTER"), "2026-01-01", "2026-12-31").map(([d, p]) => `${p} ${d}`)).toEqual([
      "2026-Q1 2026-03-31",
      "2026-Q2 2026-06-30",
      "2026-Q3 2026-09-30",
      "2026-Q4 2026-12-31",
    ]);
  });

  it("reminders: the first workday after the period, for it (2026-04 → 05-06 after May Day, 2026-09 → 10-08)", () => {
    expect(dueDates(reminderRule("MONTH"), "2026-04-01", "2026-10-31")).toEqual([
      ["2026-04-01", "2026-03"],
      ["2026-05-06", "2026-04"],
      ["2026-06-01", "2026-05"],
      ["2026-07-01", "2026-06"],
      ["2026-08-03", "2026-07"],
      ["2026-09-01", "2026-08"],
      ["2026-10-08", "2026-09"],
    ]);
    expect(dueDates(reminderRule("QUARTER"), "2026-02-01", "2026-12-31")).toEqual([
      ["2026-04-01", "2026-Q1"],
      ["2026-07-01", "2026-Q2"],
      ["2026-10-08", "2026-Q3"],
    ]);
    expect(reminderRule("MONTH").periodOf("2026-10-20", cal)).toBe("2026-09");
    expect(reminderRule("WEEK")).toBe(progressReminderRule);
  });
});

describe("confirm-reminder: every workday", () => {
  it("skips weekends and holidays and keeps make-up Saturdays", () => {
    const days = dueDates(confirmReminderRule, "2026-10-01", "2026-10-11").map(([d]) => d);
    expect(days).toEqual(["2026-10-08", "2026-10-09", "2026-10-10"]); // 10-10 is a make-up Saturday
  });
});

describe("evaluate: every workday at 12:00, keyed by the date", () => {
  it("runs on workdays only, the make-up Saturday included", () => {
    const days = dueDates(evaluateRule, "2026-10-01", "2026-10-12").map(([d, key]) => `${d}=${key}`);
    expect(days).toEqual([
      "2026-10-08=2026-10-08",
      "2026-10-09=2026-10-09",
      "2026-10-10=2026-10-10",
      "2026-10-12=2026-10-12",
    ]);
  });

  it("an API run belongs to the latest workday whose 12:00 it is not before", () => {
    const at = (local: string) => evaluateRule.periodAt!(new Date(`${local}+08:00`), "Asia/Shanghai", cal);
    expect(at("2026-10-08T12:00:00")).toBe("2026-10-08");
    expect(at("2026-10-08T11:59:59")).toBe("2026-09-30"); // before noon on the first day back: the last run before the holiday
    expect(at("2026-10-04T15:00:00")).toBe("2026-09-30"); // inside National Day
    expect(at("2026-10-10T23:00:00")).toBe("2026-10-10"); // the make-up Saturday ran
  });
});

describe("weekly-digest: every workday at BOT_DIGEST_TIME, keyed by the date", () => {
  it("fires at the configured time on workdays; an API run belongs to the latest workday whose digest time has passed", () => {
    const [job] = scheduledJobs({ promptTime: "16:00", digestTime: "09:30" }).filter((j) => j.id === "weekly-digest");
    expect(job!.rule.time).toBe("09:30");
    expect(dueDates(job!.rule, "2026-10-01", "2026-10-12").map(([d]) => d)).toEqual([
      "2026-10-08",
      "2026-10-09",
      "2026-10-10",
      "2026-10-12",
    ]);
    const at = (local: string) => job!.rule.periodAt!(new Date(`${local}+08:00`), "Asia/Shanghai", cal);
    expect(at("2026-04-13T09:30:00")).toBe("2026-04-13");
    expect(at("2026-04-13T09:29:59")).toBe("2026-04-10"); // Monday before the digest time: Friday's run
  });
});

describe("the configured prompt time (BOT_PROMPT_TIME)", () => {
  it("moves the prompts' trigger and leaves the other jobs alone", () => {
    const jobs = scheduledJobs({ promptTime: "17:30", digestTime: "13:00" });
    expect(jobs.map((j) => `${j.id} ${j.rule.time}`)).toEqual([
      "approval-reminder 10:00",
      "weekly-prompt 17:30",
      "monthly-prompt 17:30",
      "quarterly-prompt 17:30",
      "progress-reminder 10:00",
      "monthly-progress-reminder 10:00",
      "quarterly-progress-reminder 10:00",
      "confirm-reminder 10:00",
      "evaluate 12:00",
      "escalation-overdue 12:30",
      "weekly-digest 13:00",
    ]);
    expect(scheduledJobs({ promptTime: "16:00", digestTime: "13:00" })[1]!.rule.due("2026-04-03", cal)).toBe(
      "2026-W14",
    );
  });
});
