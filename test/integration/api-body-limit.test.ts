import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgSnapshot } from "../helpers/org-snapshot.ts";
import { type ApiError, type ApiPlan, planApi } from "../helpers/plan-api.ts";
import { planSnapshot } from "../helpers/plan-snapshot.ts";
import { startTestService, TEST_TOKEN, type TestService } from "../helpers/test-service.ts";

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

/**
 * One request on a connection of its own, answering the status. A refused upload leaves its keep-alive
 * connection unusable for the next over-limit upload (it sees a reset after ~5 s instead of the 413): an
 * HTTP-layer issue reported separately, kept out of these tests of the limit itself.
 */
function freshConnection(method: string, path: string, o: { headers: Record<string, string>; body: Buffer }) {
  return new Promise<number>((resolve, reject) => {
    const req = request(`${svc.url}${path}`, {
      method,
      agent: false,
      headers: { ...o.headers, authorization: `Bearer ${TEST_TOKEN}`, "content-length": o.body.length },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(o.body);
  });
}

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
    const multipart = new Request("http://x", { method: "PUT", body: form });
    const upload = await freshConnection("PUT", "/api/org", {
      headers: { "content-type": multipart.headers.get("content-type")! },
      body: Buffer.from(await multipart.arrayBuffer()),
    });
    expect(upload).toBe(413);
    const workbook = await freshConnection("POST", `/api/plans/${plan.id}/import`, {
      headers: { "content-type": "application/octet-stream" },
      body: Buffer.alloc(MB + 100, 1),
    });
    expect(workbook).toBe(413);
    expect(await snapshot()).toEqual(before);
  });
});
