import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgSnapshot } from "../helpers/org-snapshot.ts";
import { type ApiError, type ApiPlan, planApi } from "../helpers/plan-api.ts";
import { planSnapshot } from "../helpers/plan-snapshot.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

let svc: TestService;
const api = planApi(() => svc);
const MB = 1024 * 1024;
let plan: ApiPlan;

beforeAll(async () => {
  svc = await startTestService({ BODY_LIMIT_MB: "1" });
  await api.importReferenceOrg();
  plan = await api.newPlan(1_000_000);
});
afterAll(() => svc.close());

/** The whole database as the routes below could change it. */
const snapshot = async () => ({ org: await orgSnapshot(svc.db), plans: await planSnapshot(svc.db) });
const emptyOrg = (padBytes: number) => JSON.stringify({ departments: [], staff: [], pad: "x".repeat(padBytes) });

describe("BODY_LIMIT_MB=1: a body over 1 MB is a 413 and changes nothing", () => {
  it("a JSON body just under the limit is read; just over it is refused", async () => {
    const under = await svc.api("/api/org?mode=merge", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: emptyOrg(MB - 100),
    });
    expect(under.status, await under.clone().text()).toBe(200);

    const before = await snapshot();
    const over = await svc.api("/api/org?mode=merge", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: emptyOrg(MB + 100),
    });
    expect(over.status).toBe(413);
    expect(((await over.json()) as ApiError).error).toEqual({
      code: "PAYLOAD_TOO_LARGE",
      message: "请求体超过上限 1 MB",
    });
    expect(await snapshot()).toEqual(before);
  });

  it("a chunked body with no Content-Length is cut off at the limit too", async () => {
    const before = await snapshot();
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 2 * MB) controller.close();
        else {
          sent += chunk.length;
          controller.enqueue(chunk);
        }
      },
    });
    const res = await svc.api(`/api/plans/${plan.id}/splits`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await snapshot()).toEqual(before);
  });

  it("a multipart upload and a plan workbook over the limit are refused", async () => {
    const before = await snapshot();
    const form = new FormData();
    form.append("file", new Blob([Buffer.alloc(MB + 100, 1)]), "org.xlsx");
    // Through the test client's keep-alive connections, right after the refused chunked upload above: a
    // refused body's connection is closed, so its unread rest is never taken for the next request.
    const upload = await svc.api("/api/org", { method: "PUT", body: form });
    expect(upload.status).toBe(413);
    const workbook = await svc.api(`/api/plans/${plan.id}/import`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: Buffer.alloc(MB + 100, 1),
    });
    expect(workbook.status).toBe(413);
    expect(await snapshot()).toEqual(before);
  });
});
