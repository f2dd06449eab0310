import { createHash } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { Logger } from "../lib/logger.ts";
import { projectPath } from "../lib/project-root.ts";
import { applyMigrations, MIGRATIONS_DIR, readMigrations } from "./migrate.ts";
import { openPglite } from "./sql.ts";

/**
 * A fresh PGlite database costs an initdb in WebAssembly (seconds) plus every migration. The template is that
 * work done once: the data dir of an initialised and fully migrated, otherwise empty database, as PGlite's own
 * dump (`dumpDataDir`, a gzipped tarball), which `PGlite.create(dir, { loadDataDir })` unpacks into a fresh
 * folder or memory:// far faster. `postinstall` and `npm run build` write it; if it is missing it is built on
 * first need. It lives in node_modules/.cache (made by `npm ci`, never committed). Its file name carries the
 * PGlite version and a checksum of every migration (names and contents), so a template made before a migration
 * was added or edited, or by another PGlite, is never loaded: it is simply not found, and a new one is built.
 */
export const TEMPLATE_CACHE_DIR = projectPath("node_modules", ".cache", "target-bot");

const PREFIX = "pglite-template-";

export interface TemplateOptions {
  log: Logger;
  /** Migrations the template holds; the service's own by default (tests point it elsewhere). */
  migrationsDir?: string;
  /** Folder of the cached tarball; {@link TEMPLATE_CACHE_DIR} by default. */
  cacheDir?: string;
}

export interface PgliteTemplate {
  /** PGlite version + migrations checksum; part of the file name. */
  key: string;
  file: string;
  data: Blob;
  /** True when it was built just now (no cached tarball matched). */
  built: boolean;
}

let pgliteVersion: string | undefined;

/** The installed PGlite's version, from its package.json (its exports do not name that file). */
export async function installedPgliteVersion(): Promise<string> {
  if (pgliteVersion) return pgliteVersion;
  let dir = path.dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
  for (;;) {
    try {
      const pkg = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "@electric-sql/pglite" && pkg.version) {
        pgliteVersion = pkg.version;
        return pkg.version;
      }
    } catch {
      // no package.json at this level; go up
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error("cannot find @electric-sql/pglite's package.json");
    dir = up;
  }
}

/** `<pglite version>-<sha256 of every migration's name and checksum, 16 hex>`. */
export async function templateKey(migrationsDir = MIGRATIONS_DIR): Promise<string> {
  const migrations = await readMigrations(migrationsDir);
  const hash = createHash("sha256");
  for (const m of migrations) hash.update(`${m.name}\0${m.checksum}\n`);
  return `${await installedPgliteVersion()}-${hash.digest("hex").slice(0, 16)}`;
}

const memo = new Map<string, Promise<PgliteTemplate>>();

/**
 * The template for the current migrations and PGlite: read from the cache folder, or built (and written there,
 * best effort: a read-only install still gets the built one for this process). Kept in memory per process and
 * key, so a test worker reads the file once.
 */
export function pgliteTemplate(opts: TemplateOptions): Promise<PgliteTemplate> {
  return memoized(memo, opts, (key) =>
    loadOrBuild(key, opts.migrationsDir ?? MIGRATIONS_DIR, opts.cacheDir ?? TEMPLATE_CACHE_DIR, opts.log),
  );
}

/** One promise per cache folder and template key in this process, forgotten if it fails (a later call retries). */
function memoized<T>(
  memo: Map<string, Promise<T>>,
  opts: TemplateOptions,
  make: (key: string) => Promise<T>,
): Promise<T> {
  const cacheDir = opts.cacheDir ?? TEMPLATE_CACHE_DIR;
  return templateKey(opts.migrationsDir ?? MIGRATIONS_DIR).then((key) => {
    const id = `${cacheDir}\0${key}`;
    let p = memo.get(id);
    if (!p) {
      p = make(key);
      memo.set(id, p);
      p.catch(() => memo.delete(id));
    }
    return p;
  });
}

async function loadOrBuild(key: string, migrationsDir: string, cacheDir: string, log: Logger): Promise<PgliteTemplate> {
  const file = path.join(cacheDir, `${PREFIX}${key}.tar.gz`);
  try {
    return { key, file, data: new Blob([await readFile(file)]), built: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const data = await buildTemplate(migrationsDir, log);
  try {
    await mkdir(cacheDir, { recursive: true });
    // Written under a temporary name and renamed: a reader never sees half a tarball, and two processes
    // building at once both end with a whole one.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, Buffer.from(await data.arrayBuffer()));
    await rename(tmp, file);
    // Templates of older migrations or another PGlite are never loaded again.
    for (const name of await readdir(cacheDir)) {
      if (name.startsWith(PREFIX) && name !== path.basename(file) && name.endsWith(".tar.gz")) {
        await rm(path.join(cacheDir, name), { force: true });
      }
    }
    log.info({ file }, "wrote the PGlite template (an empty migrated database) for fresh data dirs");
  } catch (err) {
    log.warn({ err, file }, "could not save the PGlite template; fresh data dirs will build it again");
  }
  return { key, file, data, built: true };
}

const dirMemo = new Map<string, Promise<string>>();

/**
 * The template unpacked once into a data directory of its own (`<cache>/pglite-template-<key>/`, beside the
 * tarball), which a fresh data dir is a plain file copy of. Unpacking the tarball into every fresh data dir cost
 * PGlite ~0.7 s of CPU (gunzip, untar, 40 MB written through its WebAssembly file system); copying the unpacked
 * folder's files costs the kernel's write of the same 40 MB (~0.1–0.3 s), and the copy then opens as an existing
 * database. Built on first need from the tarball (PGlite unpacks it and shuts down cleanly, so the folder is a
 * cleanly stopped database) under a temporary name renamed into place: a reader never sees half a folder, and of
 * two processes building at once one rename wins, the other's copy is dropped. `postinstall` and `npm run build`
 * make it (scripts/pglite-template.mjs). Folders of other keys are deleted, like stale tarballs.
 */
export function pgliteTemplateDir(opts: TemplateOptions): Promise<string> {
  return memoized(dirMemo, opts, (key) => unpackedTemplate(key, opts));
}

async function unpackedTemplate(key: string, opts: TemplateOptions): Promise<string> {
  const cacheDir = opts.cacheDir ?? TEMPLATE_CACHE_DIR;
  const dir = path.join(cacheDir, `${PREFIX}${key}`);
  if (await isDataDir(dir)) return dir;
  const { data } = await pgliteTemplate(opts);
  const tmp = `${dir}.${process.pid}.${Date.now()}.tmp`;
  try {
    const { db } = await openPglite(tmp, { loadDataDir: data });
    await db.close();
    await rename(tmp, dir).catch(async (err) => {
      if (!(await isDataDir(dir))) throw err; // else another process renamed its copy into place first
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  for (const name of await readdir(cacheDir)) {
    if (name.startsWith(PREFIX) && !name.includes(key) && !name.endsWith(".tar.gz")) {
      await rm(path.join(cacheDir, name), { recursive: true, force: true });
    }
  }
  opts.log.info({ dir }, "unpacked the PGlite template for fresh data dirs");
  return dir;
}

/** Whether `dir` holds a database (PGlite writes PG_VERSION when it creates one). */
export async function isDataDir(dir: string): Promise<boolean> {
  return stat(path.join(dir, "PG_VERSION")).then(
    () => true,
    () => false,
  );
}

/**
 * Copies the data directory `from` to `to` (which must not exist): into a temporary sibling first, renamed into
 * place once whole, so a start killed mid-copy leaves no half database that a later start would take for one.
 */
export async function copyDataDir(from: string, to: string): Promise<void> {
  const tmp = `${to}.${process.pid}.tmp`;
  const copy = async (src: string, dst: string): Promise<void> => {
    await mkdir(dst, { mode: (await stat(src)).mode });
    const entries = await readdir(src, { withFileTypes: true });
    await Promise.all(
      entries.map((e) =>
        e.isDirectory()
          ? copy(path.join(src, e.name), path.join(dst, e.name))
          : copyFile(path.join(src, e.name), path.join(dst, e.name)),
      ),
    );
  };
  try {
    await copy(from, tmp);
    await rename(tmp, to);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** An in-memory PGlite, initialised and migrated, dumped as a gzipped tarball of its data dir. */
async function buildTemplate(migrationsDir: string, log: Logger): Promise<Blob> {
  const { db, pglite } = await openPglite("memory://");
  try {
    await applyMigrations(db, log, migrationsDir);
    // A checkpoint first, so the dump holds the migrated state in the data files themselves, not only in WAL.
    await pglite.exec("CHECKPOINT");
    return await pglite.dumpDataDir("gzip");
  } finally {
    await db.close();
  }
}
