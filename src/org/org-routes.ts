import type Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDeps } from "../app-deps.ts";
import type { UploadLimits } from "../config.ts";
import type { OrgRecords } from "../domain/org-records.ts";
import { readBody, readJsonBytes } from "../http/read-body.ts";
import { readMultipart } from "../http/read-multipart.ts";
import { uploadGateFor } from "../http/upload-limits.ts";
import { parseOrThrow } from "../http/validate.ts";
import { AppError, validationError } from "../lib/errors.ts";
import { getStaff } from "./get-staff.ts";
import { importOrg } from "./import-org.ts";
import { orgRecordsFromJsonBody } from "./org-json-body.ts";
import type { ParseResult } from "./parse-org-files.ts";

const ZImportQuery = z.object({
  mode: z.enum(["full", "merge"]).default("full"),
  /** The exact number of people a full import may deactivate beyond ORG_DEACTIVATE_LIMIT_PERCENT (see importOrg). */
  confirmDeactivate: z.coerce
    .number({ error: "confirmDeactivate 应为要停用的人数，如 12" })
    .int("confirmDeactivate 应为整数")
    .min(0, "confirmDeactivate 不能为负数")
    .optional(),
});

/** Org endpoints: import (JSON, CSV pair or Excel template) and a person with their manager chain. */
export function registerOrgRoutes(router: Router, deps: AppDeps): void {
  router.put("/api/org", async (ctx) => {
    const { mode, confirmDeactivate } = parseOrThrow(ZImportQuery, ctx.query, "查询参数");
    const guard = { maxShare: deps.config.orgDeactivateMaxShare, confirm: confirmDeactivate };
    // One heavy upload at a time per process (a second gets 429 with Retry-After).
    ctx.body = await uploadGateFor(deps).run(async () => {
      const records = await readOrgUpload(ctx, deps.config.bodyLimitBytes, deps.config.upload);
      return importOrg({ db: deps.db, records, mode, guard });
    });
  });

  router.get("/api/org/staff/:userId", async (ctx) => {
    ctx.body = await getStaff(deps.db, ctx.params.userId ?? "");
  });
}

/**
 * Accepts the three documented forms: a JSON body; multipart/form-data with either an Excel workbook (any
 * field name) or two CSV files named `departments` and `staff`; or a raw .xlsx body.
 */
async function readOrgUpload(ctx: Context, limit: number, limits: UploadLimits): Promise<OrgRecords> {
  const type = ctx.request.type;
  if (type === "application/json") return orgRecordsFromJsonBody(await readJsonBytes(ctx, limit), limits);
  // The file parsers (ExcelJS among them) load at the first file upload, not at start.
  const { looksLikeXlsx, parseOrgCsv, parseOrgXlsx } = await import("./parse-org-files.ts");
  if (type === "multipart/form-data") {
    const { files } = await readMultipart(ctx, limit);
    const workbook = Object.values(files).find((f) => looksLikeXlsx(f.data));
    if (workbook) return unwrap(await parseOrgXlsx(workbook.data, limits));
    const { departments, staff } = files;
    if (!departments || !staff) {
      throw new AppError(
        "VALIDATION",
        "请上传 Excel 模板（任意字段名），或两个 CSV 文件，字段名分别为 departments 和 staff",
      );
    }
    return unwrap(await parseOrgCsv({ departments: departments.data, staff: staff.data }, limits));
  }
  const raw = await readBody(ctx, limit);
  if (looksLikeXlsx(raw)) return unwrap(await parseOrgXlsx(raw, limits));
  throw new AppError(
    "UNSUPPORTED_MEDIA_TYPE",
    "不支持的格式：请发送 JSON、Excel 模板（.xlsx），或以 multipart 上传 departments/staff 两个 CSV 文件",
  );
}

function unwrap(result: ParseResult): OrgRecords {
  if (!result.ok) throw validationError(`文件有 ${result.problems.length} 处错误，未写入任何数据`, result.problems);
  return result.records;
}
