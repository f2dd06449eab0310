// Writes the PGlite template (src/db/pglite-template.ts): an initialised and migrated, otherwise empty database
// dumped to node_modules/.cache/target-bot/ (and unpacked there into a folder, which a fresh embedded data dir is
// a file copy of; every in-memory PGlite test database is unpacked from the tarball) instead of running initdb and
// all migrations. Run by `postinstall` and `npm run build`; a no-op when a template for the current PGlite and
// migrations is there already. Never fails the install or the build: without a template the service builds one on
// first need.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = fileURLToPath(new URL("../src/db/pglite-template.ts", import.meta.url));
if (!existsSync(source)) {
  // The Docker image's `npm ci` runs before the sources are copied in; its `npm run build` makes the template.
  console.log("pglite template: skipped (no sources yet)");
} else {
  try {
    const { tsImport } = await import("tsx/esm/api");
    const { pgliteTemplate, pgliteTemplateDir } = await tsImport(source, import.meta.url);
    const { createLogger } = await tsImport("../src/lib/logger.ts", import.meta.url);
    const started = Date.now();
    const t = await pgliteTemplate({ log: createLogger("warn") });
    // Unpacked once more into a folder of its own: a fresh data dir is a file copy of it.
    await pgliteTemplateDir({ log: createLogger("warn") });
    const kb = Math.round(t.data.size / 1024);
    console.log(
      `pglite template: ${t.built ? `built in ${((Date.now() - started) / 1000).toFixed(1)} s` : "up to date"}, ${t.file} (${kb} KB)`,
    );
  } catch (err) {
    console.warn(`pglite template: not written (${err?.message ?? err}); fresh data dirs will build it on first need`);
  }
}
