import { existsSync } from "node:fs";
import { renderAsync } from "@resvg/resvg-js";
import * as echarts from "echarts";
import type { Digest } from "../../domain/digest-types.ts";
import { AppError } from "../../lib/errors.ts";
import { type ChartSpec, digestChartOptions } from "./digest-chart.ts";

/*
 * The digest's chart as a PNG for DingTalk (issue #14): ECharts draws the option server-side into an SVG string
 * (SSR, no DOM, no canvas), and resvg turns the SVG into a PNG. resvg draws text only with the fonts it is given,
 * and a Latin font has no glyph for 华东: the labels would come out blank. So a CJK font is required.
 */

/** Where Debian's fonts-noto-cjk puts its fonts (the .ttc holds SC, TC, JP and KR; SC is what we name). */
export const KNOWN_CJK_FONTS: readonly string[] = [
  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
  "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
  "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
  "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
  "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
];
/** The family name the known fonts carry (a font given by CJK_FONT_PATH is found by resvg's fallback instead). */
const NOTO_FAMILY = "Noto Sans CJK SC";

export interface ChartFontOptions {
  /** CJK_FONT_PATH: a font file with Chinese glyphs (.ttf/.otf/.ttc); unset = the known Debian paths. */
  fontPath?: string | undefined;
  /** The paths tried when `fontPath` is unset (tests pass their own). */
  candidates?: readonly string[];
}

/**
 * The CJK font to draw with: CJK_FONT_PATH when set (and it must exist), else the first known path that exists.
 * Throws an AppError saying what to install or set; the weekly job logs it and sends the digest text without
 * its image.
 */
export function findCjkFont(opts: ChartFontOptions = {}): string {
  if (opts.fontPath !== undefined) {
    if (existsSync(opts.fontPath)) return opts.fontPath;
    throw new AppError("INTERNAL", `图表字体不存在：CJK_FONT_PATH=${opts.fontPath}；请指向一个含中文字形的字体文件`, {
      details: { fontPath: opts.fontPath },
    });
  }
  const candidates = opts.candidates ?? KNOWN_CJK_FONTS;
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  throw new AppError(
    "INTERNAL",
    "找不到中文字体，无法绘制图表：请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk），或用 CJK_FONT_PATH 指定一个含中文字形的字体文件",
    { details: { tried: candidates } },
  );
}

/** The chart as an SVG string (ECharts server-side rendering; no animation, fixed size). */
export function renderChartSvg(spec: ChartSpec): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: spec.width, height: spec.height });
  try {
    chart.setOption(spec.option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/**
 * The chart as PNG bytes, drawn with the CJK font {@link findCjkFont} picks (only that font: no system fonts
 * are scanned, so the output is the same on every machine; a digest chart takes ~0.3 s, bench:digest).
 * The rasterising runs off the event loop (resvg's async render).
 */
export async function renderChartPng(spec: ChartSpec, fonts: ChartFontOptions = {}): Promise<Buffer> {
  const svg = renderChartSvg(spec);
  return svgToPng(svg, findCjkFont(fonts));
}

/** Rasterises an SVG with exactly one font file; exported so tests can draw the same SVG with another font. */
export async function svgToPng(svg: string, fontFile: string): Promise<Buffer> {
  const image = await renderAsync(svg, {
    font: {
      loadSystemFonts: false,
      fontFiles: [fontFile],
      defaultFontFamily: NOTO_FAMILY,
      sansSerifFamily: NOTO_FAMILY,
    },
    background: "#ffffff",
    logLevel: "off",
  });
  return image.asPng();
}

/**
 * The image the weekly digest sends (issue #14: attainment by region / team, this period vs the last). Throws
 * when no CJK font is found; the job then logs the error and sends the digest's text alone.
 */
export function digestChartPng(digest: Digest, fonts: ChartFontOptions = {}): Promise<Buffer> {
  return renderChartPng(digestChartOptions(digest).attainment, fonts);
}
