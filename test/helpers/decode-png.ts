import { inflateSync } from "node:zlib";

/** A decoded image: `width × height` pixels, 4 bytes (RGBA) each, row by row. */
export interface DecodedPng {
  width: number;
  height: number;
  rgba: Uint8Array;
}

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

/**
 * A small PNG decoder for the chart tests: 8-bit RGBA or RGB, not interlaced (what resvg writes). Reads the
 * bytes a DingTalk client would get, so a test looks at the real file, not at the renderer's memory.
 */
export function decodePng(png: Uint8Array): DecodedPng {
  const buf = Buffer.from(png);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new Error("not a PNG (bad signature)");
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < buf.length; ) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString("latin1", at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, color, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || interlace !== 0 || (color !== 6 && color !== 2)) {
        throw new Error(`unsupported PNG: depth ${depth}, color type ${color}, interlace ${interlace}`);
      }
      channels = color === 6 ? 4 : 3;
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Uint8Array.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? (line[x - channels] ?? 0) : 0;
      const b = prev[x] ?? 0;
      const c = x >= channels ? (prev[x - channels] ?? 0) : 0;
      const v = line[x] ?? 0;
      if (filter === 1) line[x] = (v + a) & 255;
      else if (filter === 2) line[x] = (v + b) & 255;
      else if (filter === 3) line[x] = (v + ((a + b) >> 1)) & 255;
      else if (filter === 4) line[x] = (v + paeth(a, b, c)) & 255;
      else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`);
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 4; k++) out[(y * width + x) * 4 + k] = k < channels ? (line[x * channels + k] ?? 0) : 255;
    }
    prev = line;
  }
  return { width, height, rgba: out };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Dark pixels (any channel darker than mid-grey) in a rectangle: the ink of glyphs on a white background. */
export function inkIn(img: DecodedPng, box: { x: number; y: number; w: number; h: number }): number {
  let ink = 0;
  for (let y = box.y; y < Math.min(img.height, box.y + box.h); y++) {
    for (let x = box.x; x < Math.min(img.width, box.x + box.w); x++) {
      const i = (y * img.width + x) * 4;
      if (Math.min(img.rgba[i] ?? 255, img.rgba[i + 1] ?? 255, img.rgba[i + 2] ?? 255) < 128) ink++;
    }
  }
  return ink;
}

/** Pixels that differ between two images of one size, within a rectangle. */
export function diffIn(a: DecodedPng, b: DecodedPng, box: { x: number; y: number; w: number; h: number }): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error("images differ in size");
  let n = 0;
  for (let y = box.y; y < Math.min(a.height, box.y + box.h); y++) {
    for (let x = box.x; x < Math.min(a.width, box.x + box.w); x++) {
      const i = (y * a.width + x) * 4;
      if (a.rgba[i] !== b.rgba[i] || a.rgba[i + 1] !== b.rgba[i + 1] || a.rgba[i + 2] !== b.rgba[i + 2]) n++;
    }
  }
  return n;
}
