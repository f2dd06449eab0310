/**
 * bench:hostile — hostile uploads against the started service (real HTTP, default upload limits, PGlite in
 * memory): the 3,000,000-row Excel bomb (as it is, and declaring tiny sizes in its headers) and an invalid org
 * of 200,000 staff rows (CSV and JSON; BODY_LIMIT_MB=64 so the JSON one is read at all). For each: time to the
 * answer, the slowest /healthz answer while it ran (polled every 10 ms from a worker thread), and RSS growth
 * (peak during the request minus RSS just before it). Targets (issue #15): answer ≤ 2 s, /healthz ≤ 100 ms, RSS growth ≤ 150 MB.
 * The floor, in the same run: the same bytes sent the same way to a bare node:http server that reads the body
 * and answers 413, with the same three figures, and the service's answer time as a ratio to it.
 */
import http from "node:http";
import { Worker } from "node:worker_threads";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { createLogger } from "../src/lib/logger.ts";
import { DEPARTMENT_COLUMNS, STAFF_COLUMNS } from "../src/org/org-columns.ts";
import { orgCsv } from "../src/org/org-workbook.ts";
import { startService } from "../src/start-service.ts";
import { xlsxBomb } from "../test/helpers/xlsx-bomb.ts";

const TOKEN = "bench-admin-token-0123456789abcdef";
const MB = 1024 * 1024;
const log = createLogger("silent");
const db = await openDatabase({ url: undefined, pgliteDir: "memory://", log });
const config = loadConfig({
  ADMIN_TOKEN: TOKEN,
  PORT: "0",
  LOG_LEVEL: "silent",
  BOT_SCHEDULER: "off",
  BODY_LIMIT_MB: "64",
});
const service = await startService({ config, log, db });

/** 200,000 staff rows, every one with an unknown role and department: 400,000+ problems. */
function invalidOrg(rows: number) {
  return {
    departments: [{ id: "d1", name: "总部", parentId: null }],
    staff: Array.from({ length: rows }, (_, i) => ({
      userId: `u${i}`,
      name: `员工${i}`,
      deptId: "nowhere",
      managerUserId: null,
      title: "客户经理",
      role: "BOSS",
    })),
  };
}

interface Case {
  name: string;
  body: () => Promise<{ body: RequestInit["body"]; headers: Record<string, string> }>;
}

const xlsx = (buf: Buffer) => ({
  body: new Uint8Array(buf),
  headers: { "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
});

const cases: Case[] = [
  { name: "3,000,000-row Excel bomb", body: async () => xlsx(await xlsxBomb({ rows: 3_000_000 })) },
  {
    name: "the same bomb, lying about its sizes",
    body: async () => xlsx(await xlsxBomb({ rows: 3_000_000, lie: true })),
  },
  {
    name: "200,000 invalid staff rows (CSV)",
    body: async () => {
      const org = invalidOrg(200_000);
      const form = new FormData();
      form.append(
        "departments",
        new Blob([
          orgCsv(
            DEPARTMENT_COLUMNS.map((c) => c.header),
            org.departments.map((d) => [d.id, d.name, d.parentId]),
          ),
        ]),
        "departments.csv",
      );
      form.append(
        "staff",
        new Blob([
          orgCsv(
            STAFF_COLUMNS.map((c) => c.header),
            org.staff.map((s) => [s.userId, s.name, s.deptId, s.managerUserId, s.title, s.role]),
          ),
        ]),
        "staff.csv",
      );
      return { body: form, headers: {} };
    },
  },
  {
    name: "200,000 invalid staff rows (JSON)",
    body: async () => ({ body: JSON.stringify(invalidOrg(200_000)), headers: { "content-type": "application/json" } }),
  },
  {
    name: "100,000 invalid staff rows (CSV, within the limits)",
    body: async () => {
      const org = invalidOrg(100_000);
      const form = new FormData();
      form.append(
        "departments",
        new Blob([
          orgCsv(
            DEPARTMENT_COLUMNS.map((c) => c.header),
            org.departments.map((d) => [d.id, d.name, d.parentId]),
          ),
        ]),
        "departments.csv",
      );
      form.append(
        "staff",
        new Blob([
          orgCsv(
            STAFF_COLUMNS.map((c) => c.header),
            org.staff.map((s) => [s.userId, s.name, s.deptId, s.managerUserId, s.title, s.role]),
          ),
        ]),
        "staff.csv",
      );
      return { body: form, headers: {} };
    },
  },
];

/** The upload encoded as bytes before any clock starts: this process is also the client. */
async function encode(c: Case): Promise<{ body: Uint8Array; headers: Record<string, string> }> {
  const built = await c.body();
  const encoded = new Request("http://x/", { method: "PUT", body: built.body });
  const body = new Uint8Array(await encoded.arrayBuffer());
  const type = encoded.headers.get("content-type");
  return {
    body,
    headers: { ...built.headers, ...(type && !built.headers["content-type"] ? { "content-type": type } : {}) },
  };
}

/**
 * The floor: a bare node:http server in this process that answers /healthz at once and reads any other request's
 * body to the end, keeping nothing, then answers a small JSON 413 — what receiving the same bytes costs before
 * a service does anything with them.
 */
async function startFloor(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on("end", () => {
      res
        .writeHead(413, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { message: `${bytes}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Polls `${base}/healthz` every 10 ms from a worker thread, which has an event loop of its own: polled from this
 * thread (which also runs the service), a stall that began between two polls only delayed the next poll's start
 * and never showed in its answer time, so a 330 ms stall could read as 17 ms. Resolves the slowest answer in ms.
 */
function startHealthPoller(base: string): { stop: () => Promise<number> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     let worst = 0, running = true;
     parentPort.once("message", () => { running = false; });
     (async () => {
       while (running) {
         const t = performance.now();
         await (await fetch(workerData + "/healthz")).arrayBuffer();
         worst = Math.max(worst, performance.now() - t);
         await new Promise((r) => setTimeout(r, 10));
       }
       parentPort.postMessage(worst);
     })();`,
    { eval: true, workerData: base },
  );
  return {
    stop: () =>
      new Promise((resolve, reject) => {
        worker.once("message", (worst: number) => void worker.terminate().then(() => resolve(worst)));
        worker.once("error", reject);
        worker.postMessage("stop");
      }),
  };
}

async function measure(base: string, upload: { body: Uint8Array; headers: Record<string, string> }) {
  const { body, headers } = upload;
  for (let i = 0; i < 5; i++) await (await fetch(`${base}/healthz`)).arrayBuffer(); // warm
  // The poller first, and its first answers: its thread's memory is not the upload's.
  const poller = startHealthPoller(base);
  await new Promise((r) => setTimeout(r, 200));
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const t = performance.now();
  const res = await fetch(`${base}/api/org`, {
    method: "PUT",
    body,
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
  });
  const text = await res.text();
  const seconds = (performance.now() - t) / 1000;
  const worst = await poller.stop();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? "";
  return {
    status: res.status,
    seconds,
    worst,
    rssMb: (peak - rss0) / MB,
    bodyKb: text.length / 1024,
    message: message.slice(0, 90),
  };
}

const mark = (ok: boolean) => (ok ? "✔" : "✘");
console.log("targets: answer ≤ 2 s, /healthz worst ≤ 100 ms, RSS growth ≤ 150 MB");
console.log("floor: the same bytes to a bare node:http server in this process that reads the body and answers 413\n");
const floor = await startFloor();
for (const c of cases) {
  const upload = await encode(c);
  const r = await measure(service.url, upload);
  const f = await measure(floor.url, upload);
  console.log(
    `${c.name} (${(upload.body.length / MB).toFixed(1)} MB on the wire)\n` +
      `  ${r.status} in ${r.seconds.toFixed(2)} s (≤ 2 s ${mark(r.seconds <= 2)}), ` +
      `/healthz worst ${Math.round(r.worst)} ms (≤ 100 ms ${mark(r.worst <= 100)}), ` +
      `RSS +${Math.round(r.rssMb)} MB (≤ 150 MB ${mark(r.rssMb <= 150)}), answer ${r.bodyKb.toFixed(1)} KB\n` +
      `  floor: ${f.status} in ${f.seconds.toFixed(2)} s (answer ÷ floor ${(r.seconds / f.seconds).toFixed(1)}), ` +
      `/healthz worst ${Math.round(f.worst)} ms, RSS +${Math.round(f.rssMb)} MB\n` +
      `  ${r.message}`,
  );
}
await floor.close();
await service.stop();
await db.close();
