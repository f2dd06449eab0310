import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { Context } from "koa";
import { projectPath } from "../lib/project-root.ts";

/**
 * The dashboard's static files, served by the service itself (it may run inside a company network with no
 * way out to a CDN): ECharts' browser build from node_modules, the page's script and stylesheet. Each path
 * carries a hash of the content, so browsers may keep a file for a year and a new release is a new path.
 * Read and gzipped once, at the first request.
 */
export interface Asset {
  path: string;
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

const require = createRequire(import.meta.url);
/** This folder in the sources (the service may run from the bundle in dist/, which has no assets). */
const HERE = projectPath("src", "dashboard");

function asset(file: string | Buffer, name: string, ext: string, type: string): Asset {
  const body = typeof file === "string" ? readFileSync(file) : file;
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
  return { path: `/dashboard/assets/${name}-${hash}.${ext}`, type, body, gzip: gzipSync(body), etag: `"${hash}"` };
}

/**
 * The chart module the server's PNG uses, bundled for the browser (src/dashboard/browser/dashboard-charts.ts).
 * Bundled once, at the first request for a dashboard asset (esbuild is a dependency), so there is no build
 * step to forget; the bundle blocks the event loop for a moment that one time.
 */
function chartsBundle(): Buffer {
  const { buildSync } = require("esbuild") as typeof import("esbuild"); // loaded here, not at start
  const out = buildSync({
    entryPoints: [path.join(HERE, "browser", "dashboard-charts.ts")],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    minify: true,
    write: false,
    logLevel: "silent",
  });
  return Buffer.from(out.outputFiles[0]!.contents);
}

let loaded: { echarts: Asset; charts: Asset; script: Asset; style: Asset } | undefined;

export function dashboardAssets() {
  loaded ??= {
    echarts: asset(
      require.resolve("echarts/dist/echarts.min.js"),
      "echarts",
      "min.js",
      "text/javascript; charset=utf-8",
    ),
    charts: asset(chartsBundle(), "charts", "js", "text/javascript; charset=utf-8"),
    script: asset(path.join(HERE, "assets", "dashboard.js"), "dashboard", "js", "text/javascript; charset=utf-8"),
    style: asset(path.join(HERE, "assets", "dashboard.css"), "dashboard", "css", "text/css; charset=utf-8"),
  };
  return loaded;
}

/** Answers one asset: gzipped when the browser takes it, cached for a year (the path changes with the content). */
export function sendAsset(ctx: Context, a: Asset): void {
  ctx.set("Cache-Control", "public, max-age=31536000, immutable");
  ctx.set("ETag", a.etag);
  ctx.vary("Accept-Encoding");
  ctx.type = a.type;
  if (ctx.get("if-none-match") === a.etag) {
    ctx.status = 304;
    return;
  }
  if (ctx.acceptsEncodings("gzip", "identity") === "gzip") {
    ctx.set("Content-Encoding", "gzip");
    ctx.body = a.gzip;
  } else {
    ctx.body = a.body;
  }
}
