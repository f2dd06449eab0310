/** One line of the doctor's report. */
export interface DoctorCheck {
  /** Stable id: `credentials`, `legacy-token`, `robot`, `template:<cardId>`, `directory`. */
  id: string;
  /** What was checked, in Chinese, e.g. "应用凭证（access token）". */
  title: string;
  /** `ok` passed; `problem` must be fixed before the first publish; `skipped` could not run (an earlier problem). */
  status: "ok" | "problem" | "skipped";
  /** What was found: on success what DingTalk answered, on a problem what is wrong (with DingTalk's code). */
  detail: string;
  /** For a problem: what to do, naming the setting. */
  fix?: string;
  /** The environment variables the check is about (a problem names the ones to change). */
  envVars: readonly string[];
}

export interface DoctorReport {
  checks: DoctorCheck[];
  /** True when no check found a problem (skipped checks only follow a problem). */
  ok: boolean;
}
