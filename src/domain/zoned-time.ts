import { DateTime, IANAZone } from "luxon";
import { validationError } from "../lib/errors.ts";
import { toEpochDay } from "./plain-date.ts";

/* Where plain dates meet instants: the only calendar module that knows about time zones. */

/** The plain date an instant falls on in an IANA zone ("Asia/Shanghai"). */
export function localDate(instant: Date, zone: string): string {
  assertZone(zone);
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) {
    throw validationError("时间点无效", [{ field: "instant", message: "时间点无效" }]);
  }
  return DateTime.fromJSDate(instant, { zone }).toISODate()!;
}

/** The instant of wall-clock `time` ("16:00" or "16:00:30") on `date` in `zone`. */
export function localDateTime(date: string, time: string, zone: string): Date {
  assertZone(zone);
  toEpochDay(date);
  const match = typeof time === "string" ? /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/.exec(time) : null;
  if (match === null) {
    throw validationError(`时间「${String(time)}」无效，应为 HH:mm 格式，如 16:00`, [
      { field: "time", message: "时间无效" },
    ]);
  }
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const [hour, minute, second] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  return DateTime.fromObject({ year, month, day, hour, minute, second }, { zone }).toJSDate();
}

/**
 * Zones found valid (whether a zone name is valid cannot change while the process runs): luxon's isValidZone
 * builds an Intl.DateTimeFormat per call, which was ~0.7 ms of CPU per chat report (bench:inbound's profile).
 */
const validZones = new Set<string>();

function assertZone(zone: string): void {
  if (validZones.has(zone)) return;
  if (typeof zone !== "string" || !IANAZone.isValidZone(zone)) {
    throw validationError(`时区「${String(zone)}」无效，应为 IANA 时区名，如 Asia/Shanghai`, [
      { field: "zone", message: "时区无效" },
    ]);
  }
  validZones.add(zone);
}
