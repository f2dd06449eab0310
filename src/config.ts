import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { cardDefinitions } from "../cards/index.ts";

/** One production template id per card in cards/ (each definition's templateIdConfigKey). */
const CARD_TEMPLATE_KEYS = Object.values(cardDefinitions).map((d) => d.templateIdConfigKey);
/** The templates required with DingTalk credentials: those of the cards the service sends (not `notSentBecause`). */
const REQUIRED_CARD_TEMPLATE_KEYS = Object.values(cardDefinitions)
  .filter((d) => !d.notSentBecause)
  .map((d) => d.templateIdConfigKey);

/** Parses the environment once. Nothing else in the service reads `process.env`. */
const ZEnv = z
  .object({
    DATABASE_URL: z
      .string()
      .trim()
      .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
      .optional()
      .or(z.literal("").transform(() => undefined)),
    DATA_DIR: z.string().trim().min(1).default("./data"),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /**
     * The interface to listen on. Unset: 127.0.0.1 in sandbox mode (its /sandbox/api/* lets anyone act as anyone),
     * every interface otherwise.
     */
    HOST: z.string().trim().min(1).optional(),
    ADMIN_TOKEN: z.string().trim().min(16, "must be at least 16 characters").optional(),
    DINGTALK_CLIENT_ID: z.string().trim().min(1).optional(),
    DINGTALK_CLIENT_SECRET: z.string().trim().min(1).optional(),
    DINGTALK_ROBOT_CODE: z.string().trim().min(1).optional(),
    DINGTALK_API_BASE: z.url().default("https://api.dingtalk.com"),
    DINGTALK_OAPI_BASE: z.url().default("https://oapi.dingtalk.com"),
    DINGTALK_QPS: z.coerce.number().positive().max(1000).default(20),
    /**
     * How long one DingTalk HTTP request may wait for its whole answer; past it the call fails like a network error
     * and the outbox retries it (a hung call would otherwise hold its row, and shutdown, for ever).
     */
    DINGTALK_HTTP_TIMEOUT_MS: z.coerce
      .number({ error: "must be a number of milliseconds such as 10000" })
      .int("must be a whole number of milliseconds")
      .min(100, "must be between 100 and 120000 ms")
      .max(120_000, "must be between 100 and 120000 ms")
      .default(10_000),
    /** "off": pending approval steps are not put in the approvers' DingTalk 待办 (docs/architecture.md). */
    DINGTALK_TODO: z.enum(["on", "off"], { error: 'must be "on" or "off"' }).default("on"),
    /**
     * This service's base URL as staff's phones reach it: the link a DingTalk to-do opens (DingTalk requires one).
     * Sandbox default: http://localhost:PORT.
     */
    PUBLIC_URL: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://bot.example.com" })
      .optional(),
    BOT_TIMEZONE: z
      .string()
      .default("Asia/Shanghai")
      .refine((tz) => isValidTimeZone(tz), "must be an IANA time zone such as Asia/Shanghai"),
    /** Local time the weekly progress prompt goes out (docs/domain.md "Progress": Friday 16:00, configurable). */
    BOT_PROMPT_TIME: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a 24-hour time HH:mm such as 16:00")
      .default("16:00"),
    /** "off" keeps the scheduled jobs from firing (catch-up and triggers); POST /api/jobs/:job/run still works. */
    BOT_SCHEDULER: z.enum(["on", "off"]).default("on"),
    /**
     * Test hook only: the scheduler's clock starts at this instant when the service starts and runs on from there,
     * so spawned processes can be tested at "Friday 16:00" without waiting. Refused with DingTalk credentials.
     */
    BOT_FAKE_NOW: z.iso.datetime({ offset: true, message: "must be an ISO datetime with offset" }).optional(),
    /** A reported figure above this multiple of the period target is stored only once confirmed (docs/domain.md "Progress"). */
    PROGRESS_CONFIRM_MULTIPLE: z.coerce
      .number({ error: "must be a number such as 10" })
      .min(1, "must be at least 1 (a figure at the target itself never needs confirming)")
      .max(1_000_000)
      .default(10),
    /**
     * Signs the dashboard links the digest and the bot hand out (HMAC-SHA256). Unset: derived from ADMIN_TOKEN, so
     * every replica signs alike; set it to revoke every link at once without changing the admin token.
     */
    DASHBOARD_SECRET: z.string().trim().min(16, "must be at least 16 characters").optional(),
    /** How long a dashboard link works, in days. */
    DASHBOARD_LINK_DAYS: z.coerce
      .number({ error: "must be a number of days such as 7" })
      .int("must be a whole number of days")
      .min(1, "must be between 1 and 90 days")
      .max(90, "must be between 1 and 90 days")
      .default(7),
    /** Local time of the Monday weekly digest; it waits for that period's evaluation either way. */
    BOT_DIGEST_TIME: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a 24-hour time HH:mm such as 13:00")
      .default("13:00"),
    /**
     * A font file with Chinese glyphs for the digest's chart image (.ttf/.otf/.ttc). Unset: fonts-noto-cjk's
     * Debian paths (src/flows/digest/render-chart-png.ts); with neither, the digest goes out without its image.
     */
    CJK_FONT_PATH: z.string().trim().min(1).optional(),
    /** 风险预警: year-to-date this many points behind expected-to-date warns the owner (docs/domain.md "Evaluation and escalation"). */
    PACE_WARNING_MARGIN: z.coerce
      .number({ error: "must be a number of percentage points such as 10" })
      .min(0, "must be between 0 and 99 (percentage points)")
      .max(99, "must be between 0 and 99 (percentage points)")
      .default(10),
    /**
     * A full org import (PUT /api/org, POST /api/org/sync) that would deactivate more than this share of the active
     * staff, in percent, is refused unless confirmed with ?confirmDeactivate=N (an import that deactivates
     * everyone always is).
     */
    ORG_DEACTIVATE_LIMIT_PERCENT: z.coerce
      .number({ error: "must be a percentage such as 20" })
      .min(0, "must be between 0 and 100 (percent)")
      .max(100, "must be between 0 and 100 (percent)")
      .default(20),
    /** How long the outbox retries a message DingTalk does not take (5xx, throttling, network) before it is DEAD. */
    OUTBOX_RETRY_HOURS: z.coerce
      .number({ error: "must be a number of hours such as 24" })
      .positive("must be more than 0 hours")
      .max(720, "must be at most 720 hours (30 days)")
      .default(24),
    /** The outbox's first retry delay in ms, doubled per attempt up to 300 × itself (5 min at 1000). */
    OUTBOX_RETRY_BASE_MS: z.coerce
      .number({ error: "must be a number of milliseconds such as 1000" })
      .int("must be a whole number of milliseconds")
      .min(1, "must be between 1 and 60000 ms")
      .max(60_000, "must be between 1 and 60000 ms")
      .default(1000),
    /**
     * How long a claimed outbox row stays its sender's without a renewal (the sender renews 4 × per lease while it
     * lives): a crashed replica's rows are taken over this long after its last renewal.
     */
    OUTBOX_LEASE_MS: z.coerce
      .number({ error: "must be a number of milliseconds such as 5000" })
      .int("must be a whole number of milliseconds")
      .min(2000, "must be between 2000 and 600000 ms")
      .max(600_000, "must be between 2000 and 600000 ms")
      .default(5000),
    /** The retention job deletes sent outbox rows and inbound events older than this many days. */
    RETENTION_DAYS: z.coerce
      .number({ error: "must be a number of days such as 30" })
      .int("must be a whole number of days")
      .min(1, "must be between 1 and 3650 days")
      .max(3650, "must be between 1 and 3650 days")
      .default(30),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    BODY_LIMIT_MB: z.coerce.number().positive().max(200).default(20),
    /** Rows a sheet, CSV file or JSON list of an upload may have (a 100,000-person company fits with room). */
    UPLOAD_MAX_ROWS: z.coerce.number().int().min(1).max(10_000_000).default(150_000),
    /** Columns a row of an uploaded sheet or CSV file may have. */
    UPLOAD_MAX_COLUMNS: z.coerce.number().int().min(1).max(16_384).default(100),
    /** Bytes one cell of an uploaded sheet or CSV file may hold. */
    UPLOAD_MAX_CELL_BYTES: z.coerce.number().int().min(64).max(10_000_000).default(8_192),
    /** Megabytes an uploaded .xlsx may unzip to (counted while inflating: a zip bomb stops there). */
    UPLOAD_MAX_UNZIPPED_MB: z.coerce.number().positive().max(4096).default(100),
    ...Object.fromEntries(CARD_TEMPLATE_KEYS.map((key) => [key, z.string().trim().min(1).optional()])),
  })
  .superRefine(
    (e, ctx) => {
      // Rules across variables. All of them are checked, so one start-up names every problem at once.
      const problem = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
      if (Boolean(e.DINGTALK_CLIENT_ID) !== Boolean(e.DINGTALK_CLIENT_SECRET)) {
        problem(
          "DINGTALK_CLIENT_ID",
          "DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET must be set together (or neither, for sandbox mode)",
        );
        return; // which mode was meant is unclear: the rules below would only add noise
      }
      if (!e.DINGTALK_CLIENT_ID) return; // sandbox mode
      if (!e.ADMIN_TOKEN) {
        problem(
          "ADMIN_TOKEN",
          "required when DingTalk credentials are set (it protects /api/*); generate one with `openssl rand -hex 24`",
        );
      }
      // The business clock must be the real one wherever real people get the messages.
      if (e.BOT_FAKE_NOW)
        problem("BOT_FAKE_NOW", "test hook only, refused when DingTalk credentials are set; unset it");
      // A missing template would otherwise surface only at the first card sent, as a failed publish.
      for (const key of REQUIRED_CARD_TEMPLATE_KEYS) {
        if (!(e as Record<string, unknown>)[key]) {
          problem(key, "required when DingTalk credentials are set: the id of the card template published in DingTalk");
        }
      }
      // Run even when a variable above is malformed: these rules read only strings, and the operator gets one list.
    },
    { when: () => true },
  );

/** Every variable loadConfig reads (README.md's configuration table documents each). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ZEnv.shape);

export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  /** HOST; undefined = every interface (live mode). Sandbox mode defaults to 127.0.0.1. */
  host: string | undefined;
  /** True when HOST was set (start-up warns if that opens the sandbox beyond this machine). */
  hostGiven: boolean;
  adminToken: string;
  /** True when the token was generated at start (sandbox mode only); main.ts prints it. */
  adminTokenGenerated: boolean;
  /** No DingTalk credentials: the service runs against its in-process emulator. */
  sandbox: boolean;
  dingtalk: {
    clientId: string | undefined;
    clientSecret: string | undefined;
    robotCode: string | undefined;
    apiBase: string;
    oapiBase: string;
    qps: number;
    /** DINGTALK_HTTP_TIMEOUT_MS: the deadline of each DingTalk HTTP request. */
    httpTimeoutMs: number;
    /** False when DINGTALK_TODO=off: the outbound port's to-do methods then queue nothing. */
    todo: boolean;
  };
  /** PUBLIC_URL without a trailing slash; in sandbox mode http://localhost:PORT when unset. */
  publicUrl: string | undefined;
  timezone: string;
  /** BOT_PROMPT_TIME: "HH:mm", local time of the weekly progress prompt. */
  promptTime: string;
  /** False when BOT_SCHEDULER=off. */
  schedulerEnabled: boolean;
  /** BOT_FAKE_NOW (test hook): where the scheduler's clock starts. */
  fakeNow: Date | undefined;
  /** PROGRESS_CONFIRM_MULTIPLE: a report above this × the owner's period target asks for confirmation first. */
  progressConfirmMultiple: number;
  /** The key dashboard links are signed with (DASHBOARD_SECRET, else derived from the admin token). */
  dashboardSecret: string;
  dashboardLinkDays: number;
  /** BOT_DIGEST_TIME: "HH:mm", local time of the Monday digest. */
  digestTime: string;
  /** CJK_FONT_PATH: the font the chart image is drawn with; unset = the fonts-noto-cjk paths. */
  cjkFontPath: string | undefined;
  /** PACE_WARNING_MARGIN ÷ 100: year-to-date attainment below 1 − this (against expected-to-date) warns. */
  paceWarningMargin: number;
  /** ORG_DEACTIVATE_LIMIT_PERCENT ÷ 100: a full org import deactivating more of the active staff needs confirming. */
  orgDeactivateMaxShare: number;
  outbox: {
    /** OUTBOX_RETRY_HOURS in ms. */
    retryHorizonMs: number;
    retryBaseMs: number;
    /** OUTBOX_LEASE_MS. */
    leaseMs: number;
  };
  /** RETENTION_DAYS in ms. */
  retentionMs: number;
  logLevel: z.infer<typeof ZEnv>["LOG_LEVEL"];
  bodyLimitBytes: number;
  /** Limits on an uploaded workbook, CSV file or JSON org (src/http/upload-limits.ts). */
  upload: UploadLimits;
  /** Template id per card template config key (e.g. DINGTALK_CARD_TEMPLATE_TARGET); empty in sandbox mode. */
  cardTemplates: Partial<Record<string, string>>;
}

export interface UploadLimits {
  maxRows: number;
  maxColumns: number;
  maxCellBytes: number;
  maxUnzippedBytes: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Reads the configuration; throws a ConfigError naming each bad variable and what is wrong with it. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ZEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const sandbox = !e.DINGTALK_CLIENT_ID;
  const adminToken = e.ADMIN_TOKEN ?? randomBytes(24).toString("hex");
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    port: e.PORT,
    host: e.HOST ?? (sandbox ? "127.0.0.1" : undefined),
    hostGiven: e.HOST !== undefined,
    adminToken,
    adminTokenGenerated: !e.ADMIN_TOKEN,
    sandbox,
    dingtalk: {
      clientId: e.DINGTALK_CLIENT_ID,
      clientSecret: e.DINGTALK_CLIENT_SECRET,
      robotCode: e.DINGTALK_ROBOT_CODE ?? e.DINGTALK_CLIENT_ID,
      apiBase: e.DINGTALK_API_BASE.replace(/\/+$/, ""),
      oapiBase: e.DINGTALK_OAPI_BASE.replace(/\/+$/, ""),
      qps: e.DINGTALK_QPS,
      httpTimeoutMs: e.DINGTALK_HTTP_TIMEOUT_MS,
      todo: e.DINGTALK_TODO === "on",
    },
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, "") ?? (sandbox ? `http://localhost:${e.PORT}` : undefined),
    timezone: e.BOT_TIMEZONE,
    promptTime: e.BOT_PROMPT_TIME,
    schedulerEnabled: e.BOT_SCHEDULER === "on",
    fakeNow: e.BOT_FAKE_NOW ? new Date(e.BOT_FAKE_NOW) : undefined,
    progressConfirmMultiple: e.PROGRESS_CONFIRM_MULTIPLE,
    paceWarningMargin: e.PACE_WARNING_MARGIN / 100,
    dashboardSecret:
      e.DASHBOARD_SECRET ?? createHash("sha256").update(`target-bot dashboard links\0${adminToken}`).digest("hex"),
    dashboardLinkDays: e.DASHBOARD_LINK_DAYS,
    digestTime: e.BOT_DIGEST_TIME,
    cjkFontPath: e.CJK_FONT_PATH,
    orgDeactivateMaxShare: e.ORG_DEACTIVATE_LIMIT_PERCENT / 100,
    outbox: {
      retryHorizonMs: Math.round(e.OUTBOX_RETRY_HOURS * 3_600_000),
      retryBaseMs: e.OUTBOX_RETRY_BASE_MS,
      leaseMs: e.OUTBOX_LEASE_MS,
    },
    retentionMs: e.RETENTION_DAYS * 86_400_000,
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: Math.round(e.BODY_LIMIT_MB * 1024 * 1024),
    upload: {
      maxRows: e.UPLOAD_MAX_ROWS,
      maxColumns: e.UPLOAD_MAX_COLUMNS,
      maxCellBytes: e.UPLOAD_MAX_CELL_BYTES,
      maxUnzippedBytes: Math.round(e.UPLOAD_MAX_UNZIPPED_MB * 1024 * 1024),
    },
    cardTemplates: Object.fromEntries(
      Object.entries(e).filter(([k, v]) => k.startsWith("DINGTALK_CARD_TEMPLATE_") && typeof v === "string"),
    ) as Partial<Record<string, string>>,
  };
}
