// The npm registry reachable from our machines serves only the Linux builds of some platform-specific
// optional packages (biome's CLI). npm then leaves the other platforms out of package-lock.json, and
// `npm ci` refuses the lock as "out of sync". This adds the missing entries back, marked optional with
// their os/cpu/libc, so `npm ci` skips them on Linux without fetching them. Run after `npm install`.
import { readFileSync, writeFileSync } from "node:fs";

const lockPath = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const platform = (name) => {
  const m = /cli-(android|darwin|linux|win32)-(arm64|x64)(-musl)?$/.exec(name);
  if (!m) return undefined;
  return { os: [m[1]], cpu: [m[2]], ...(m[1] === "linux" ? { libc: [m[3] ? "musl" : "glibc"] } : {}) };
};
let added = 0;
for (const [path, pkg] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const key = `${path ? `${path}/` : ""}node_modules/${dep}`.replace(
      /^node_modules\/.*?node_modules\//,
      "node_modules/",
    );
    const target = `node_modules/${dep}`;
    if (lock.packages[key] || lock.packages[target]) continue;
    const p = platform(dep);
    if (!p) continue;
    lock.packages[target] = { version, dev: pkg.dev === true ? true : undefined, optional: true, ...p };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`fix-lockfile: added ${added} platform entries`);
