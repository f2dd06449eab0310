// npm start: runs the service from an esbuild bundle of src/, rebuilt only when a file it was built from changed.
//
// Why not `tsx src/main.ts`: tsx runs every one of the ~350 modules through its loader hooks on every start (even
// with its transpile cache warm), which cost 2–3 s of CPU before the service could listen — more than the rest of
// the start together. A bundle is one parse. The bundle is the same as `npm run build`'s (scripts/build.mjs: same
// entry, splitting, packages left in node_modules), with source maps on, so stack traces name the .ts lines.
// When nothing changed (the usual start) this costs a few hundred stat() calls (~3 ms); after an edit, a rebuild
// (well under a second of esbuild). Types are checked by `npm run typecheck`, as they were never checked by tsx
// either.
//
// Each build goes to its own folder under node_modules/.cache/target-bot/start/ and a stamp file (written with an
// atomic rename) names the current one: a service already running keeps loading its own chunks (ExcelJS readers,
// the chart renderer, the emulator are loaded on first use) even after another start rebuilt, and two starts at
// once never read a half-written bundle. The two builds before the current one are kept for running services;
// older ones are deleted.
import { statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { bundleOptions } from "./bundle-options.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "target-bot", "start");
const STAMP = path.join(CACHE, "current.json");
/** Read by esbuild besides the sources (and this script: its options are part of the build). */
const CONFIG_FILES = ["package.json", "tsconfig.json", "scripts/start.mjs", "scripts/bundle-options.mjs"];
const KEEP_BUILDS = 3;

const signature = (s) => `${s.mtimeMs}:${s.size}`;

/**
 * Whether every file the current bundle was built from is unchanged, and no file came or went in their folders.
 * Synchronous on purpose: nothing else runs yet, and ~340 stat() calls each awaited in turn cost 11–43 ms (a trip
 * through libuv's thread pool each) against ~3 ms.
 */
function isFresh(stamp) {
  try {
    statSync(path.join(CACHE, stamp.dir, "main.js"));
    for (const [file, sig] of Object.entries(stamp.files)) {
      if (signature(statSync(path.join(ROOT, file))) !== sig) return false;
    }
    for (const [dir, mtime] of Object.entries(stamp.dirs)) {
      if (statSync(path.join(ROOT, dir)).mtimeMs !== mtime) return false;
    }
    return true;
  } catch {
    return false; // a file or the bundle is gone
  }
}

async function bundle() {
  const started = performance.now();
  // esbuild is loaded only when a build is needed.
  const { build } = await import("esbuild");
  const dir = `${Date.now().toString(36)}-${process.pid}`;
  const outdir = path.join(CACHE, dir);
  const result = await build({ ...bundleOptions(outdir), absWorkingDir: ROOT });
  const files = {};
  const dirs = {};
  for (const input of [...Object.keys(result.metafile.inputs), ...CONFIG_FILES]) {
    const file = path.normalize(input);
    files[file] = signature(await stat(path.join(ROOT, file)));
    const folder = path.dirname(file);
    dirs[folder] ??= (await stat(path.join(ROOT, folder))).mtimeMs;
  }
  const tmp = `${STAMP}.${process.pid}`;
  await writeFile(tmp, JSON.stringify({ dir, files, dirs }));
  await rename(tmp, STAMP);
  await prune(dir);
  process.stderr.write(
    `npm start: bundled src/ into ${path.relative(ROOT, outdir)} (${Object.keys(files).length} files, ${Math.round(performance.now() - started)} ms)\n`,
  );
  return dir;
}

/** Deletes all but the newest KEEP_BUILDS builds (folder names start with their build time). */
async function prune(current) {
  const builds = (await readdir(CACHE, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => parseInt(b, 36) - parseInt(a, 36));
  const old = builds.filter((name) => name !== current).slice(KEEP_BUILDS - 1);
  await Promise.all(old.map((name) => rm(path.join(CACHE, name), { recursive: true, force: true })));
}

await mkdir(CACHE, { recursive: true });
const stamp = await readFile(STAMP, "utf8").then(JSON.parse, () => undefined);
const dir = stamp && isFresh(stamp) ? stamp.dir : await bundle();
process.setSourceMapsEnabled(true);
await import(pathToFileURL(path.join(CACHE, dir, "main.js")).href);
