import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type ChartSpec, digestChartOptions } from "../../src/flows/digest/digest-chart.ts";
import {
  digestChartPng,
  findCjkFont,
  KNOWN_CJK_FONTS,
  renderChartPng,
  renderChartSvg,
  svgToPng,
} from "../../src/flows/digest/render-chart-png.ts";
import { AppError } from "../../src/lib/errors.ts";
import { decodePng, diffIn, inkIn } from "../helpers/decode-png.ts";
import { row, sampleDigest } from "../helpers/sample-digest.ts";

/*
 * The chart PNG the weekly digest sends: ECharts SSR → SVG → resvg → PNG, read back with a PNG decoder and
 * checked pixel by pixel. The proof that Chinese labels show: two different labels give two different
 * pictures with the CJK font, and the very same pictures (blank or boxes) with a Latin-only font.
 */

const LATIN_ONLY = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const MAX = 2n ** 63n - 1n;

/** A chart whose only text is `label`, big, in a known place. */
function labelOnly(label: string): ChartSpec {
  return {
    width: 400,
    height: 160,
    option: {
      animation: false,
      backgroundColor: "#ffffff",
      title: { text: label, left: 20, top: 20, textStyle: { fontSize: 64, fontFamily: "sans-serif", color: "#000" } },
    },
  };
}
const LABEL_BOX = { x: 0, y: 0, w: 400, h: 160 };

describe("the digest chart as a PNG", () => {
  it("draws Chinese labels with the CJK font; a Latin-only font cannot tell them apart", async () => {
    const east = decodePng(await renderChartPng(labelOnly("华东")));
    const west = decodePng(await renderChartPng(labelOnly("西北")));
    expect([east.width, east.height]).toEqual([400, 160]);
    // Glyph ink where the label is, and the two labels are different shapes.
    expect(inkIn(east, LABEL_BOX)).toBeGreaterThan(800);
    expect(inkIn(west, LABEL_BOX)).toBeGreaterThan(800);
    expect(diffIn(east, west, LABEL_BOX)).toBeGreaterThan(500);

    // The same SVGs without a CJK font: whatever is drawn (nothing, or .notdef boxes), it is the same for both.
    const latinEast = decodePng(await svgToPng(renderChartSvg(labelOnly("华东")), LATIN_ONLY));
    const latinWest = decodePng(await svgToPng(renderChartSvg(labelOnly("西北")), LATIN_ONLY));
    expect(diffIn(latinEast, latinWest, LABEL_BOX)).toBe(0);
    expect(diffIn(east, latinEast, LABEL_BOX)).toBeGreaterThan(500);
  });

  it("draws with the font CJK_FONT_PATH names, whatever its family", async () => {
    const serif = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"; // fonts-noto-cjk ships it too
    const east = decodePng(await renderChartPng(labelOnly("华东"), { fontPath: serif }));
    const west = decodePng(await renderChartPng(labelOnly("西北"), { fontPath: serif }));
    const sans = decodePng(await renderChartPng(labelOnly("华东")));
    expect(inkIn(east, LABEL_BOX)).toBeGreaterThan(800);
    expect(diffIn(east, west, LABEL_BOX)).toBeGreaterThan(500);
    expect(diffIn(east, sans, LABEL_BOX)).toBeGreaterThan(200); // serif strokes, not the sans default
  });

  it("the attainment chart shows its row labels: renaming the rows changes the label column and nothing else", async () => {
    const digest = (a: string, b: string) =>
      sampleDigest({
        breakdowns: [
          {
            dimension: "REGION",
            title: "区域",
            rows: [row(a, 4_200_000n, 4_000_000n, 0.98), row(b, 3_100_000n, 3_600_000n, 0.9)],
          },
        ],
      });
    const spec1 = digestChartOptions(digest("华东", "华南")).attainment;
    const spec2 = digestChartOptions(digest("西北", "西南")).attainment;
    const one = decodePng(await renderChartPng(spec1));
    const two = decodePng(await renderChartPng(spec2));
    expect([one.width, one.height]).toEqual([spec1.width, spec1.height]);
    const labels = { x: 0, y: 130, w: 110, h: one.height - 170 }; // left of the bars, below the title
    const bars = { x: 110, y: 0, w: one.width - 110, h: one.height };
    expect(diffIn(one, two, labels)).toBeGreaterThan(300);
    expect(inkIn(one, labels)).toBeGreaterThan(300);
    expect(diffIn(one, two, bars)).toBe(0);
  });

  it("draws all three charts of a digest, with amounts at the bigint limit", async () => {
    const huge = row("极限", MAX, 1n, null);
    const digest = sampleDigest({
      totals: huge.figures,
      breakdowns: [{ dimension: "REGION", title: "区域", rows: [huge, row("华东", MAX, MAX, 1)] }],
      series: [{ period: "2026-W14", actual: MAX, expected: MAX, cumulativeActual: MAX, cumulativeExpected: MAX }],
    });
    const charts = digestChartOptions(digest);
    for (const spec of [charts.attainment, charts.weekly, charts.gauge]) {
      const img = decodePng(await renderChartPng(spec));
      expect([img.width, img.height]).toEqual([spec.width, spec.height]);
      expect(inkIn(img, { x: 0, y: 0, w: img.width, h: 80 })).toBeGreaterThan(500); // the title
    }
    expect(renderChartSvg(charts.gauge)).toContain("92,233,720,368.55亿元");
    expect(renderChartSvg(charts.attainment)).toContain("&gt;999%");
  });

  it("digestChartPng is the attainment chart: the image the weekly digest sends", async () => {
    const digest = sampleDigest();
    const png = await digestChartPng(digest);
    expect(Buffer.compare(png, await renderChartPng(digestChartOptions(digest).attainment))).toBe(0);
    await expect(digestChartPng(digest, { fontPath: "/nowhere/font.ttc" })).rejects.toThrow(/CJK_FONT_PATH/);
  });

  it("finds the font: CJK_FONT_PATH first, then fonts-noto-cjk's paths, else a clear error", () => {
    const installed = KNOWN_CJK_FONTS.find((p) => existsSync(p));
    expect(installed, "fonts-noto-cjk must be installed for these tests").toBeDefined();
    expect(findCjkFont()).toBe(installed);
    expect(findCjkFont({ fontPath: LATIN_ONLY })).toBe(LATIN_ONLY);
    const missing = () => findCjkFont({ fontPath: "/nowhere/font.ttc" });
    expect(missing).toThrow(AppError);
    expect(missing).toThrow("CJK_FONT_PATH=/nowhere/font.ttc");
    const none = () => findCjkFont({ candidates: ["/nowhere/a.ttc"] });
    expect(none).toThrow(/fonts-noto-cjk.*CJK_FONT_PATH/);
  });

  it("renders without a font only to fail at render time, with the same message", async () => {
    await expect(renderChartPng(labelOnly("华东"), { candidates: [] })).rejects.toThrow(/找不到中文字体/);
  });

  it("the chart options import nothing of Node, so the dashboard can load them in the browser", () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, "utf8");
      for (const [, spec] of source.matchAll(/^import\s[^;]*?from\s+"([^"]+)"/gms)) {
        expect(spec, `${file} imports ${spec}`).not.toMatch(/^node:|^(fs|path|crypto|os|zlib)$/);
        if (spec?.startsWith(".")) visit(resolve(dirname(file), spec));
      }
    };
    visit(resolve("src/flows/digest/digest-chart.ts"));
    expect(seen.size).toBeGreaterThan(3);
  });
});
