import { type Browser, chromium } from "playwright-core";

/**
 * Debian's Chromium (installed by .ci/run; playwright never downloads a browser here), headless, with the
 * background networking that this closed network refuses switched off.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
