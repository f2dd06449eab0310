// The esbuild options of the service's bundle, shared by `npm run build` (dist/) and `npm start`
// (scripts/start.mjs, a cached bundle): both run the same code.

/** Options for bundling src/main.ts into `outdir` (absolute, or relative to `absWorkingDir`). */
export function bundleOptions(outdir) {
  return {
    entryPoints: { main: "src/main.ts" },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    plugins: [externalPackages()],
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
  };
}

/**
 * Like esbuild's `packages: "external"`, except JSON data files: a bare JSON import keeps no import attribute
 * once external, which Node then refuses (chinese-days' holiday data), so those are bundled.
 */
function externalPackages() {
  return {
    name: "external-packages",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.endsWith(".json") ? undefined : { external: true }));
    },
  };
}
