#!/usr/bin/env node
// Draws the extension icon: a white key inside an amber "rotation" arrow on a rounded blue square.
//   node scripts/draw-icon.mjs
// Writes images/icon.png (Marketplace icon) and tasks/PatLifecycleV1/icon.png (task icon), both 128x128 (palette
// PNGs when pngquant is installed), plus a 512x512 preview and a 32x32 render in the OS temp folder for inspection
// (not committed).
// Everything is signed-distance geometry in a unit square (0..1, y down), anti-aliased by supersampling.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---- palette -------------------------------------------------------------------------------------------
const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
const BG_LIGHT = hex('#1f7ae0'); // top-left
const BG_DARK = hex('#0a4f9e'); // bottom-right
const KEY = hex('#ffffff');
const ARROW = hex('#ffc83d');
const SHADOW = hex('#04254d');

// ---- signed-distance primitives (negative inside) ------------------------------------------------------
const len = (x, y) => Math.hypot(x, y);
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

function sdCircle(x, y, cx, cy, r) {
  return len(x - cx, y - cy) - r;
}

// Axis-aligned box from (x0,y0) to (x1,y1) with corner radius r.
function sdBox(x, y, x0, y0, x1, y1, r = 0) {
  const hx = (x1 - x0) / 2 - r;
  const hy = (y1 - y0) / 2 - r;
  const qx = Math.abs(x - (x0 + x1) / 2) - hx;
  const qy = Math.abs(y - (y0 + y1) / 2) - hy;
  return len(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

// Convex or concave polygon (list of [x,y]); exact distance, sign by crossing parity.
function sdPolygon(x, y, pts) {
  let d = Infinity;
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [ax, ay] = pts[j];
    const [bx, by] = pts[i];
    const ex = bx - ax;
    const ey = by - ay;
    const t = clamp(((x - ax) * ex + (y - ay) * ey) / (ex * ex + ey * ey), 0, 1);
    d = Math.min(d, len(x - ax - ex * t, y - ay - ey * t));
    if (ay > y !== by > y && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) inside = !inside;
  }
  return inside ? -d : d;
}

// Ring segment of radius r and stroke width w around (cx,cy), from angle a0 clockwise to a1 (radians,
// screen coordinates so increasing angle turns clockwise), with round caps.
function sdArc(x, y, cx, cy, r, w, a0, a1) {
  const dx = x - cx;
  const dy = y - cy;
  let a = Math.atan2(dy, dx);
  while (a < a0) a += 2 * Math.PI;
  while (a >= a0 + 2 * Math.PI) a -= 2 * Math.PI;
  if (a <= a1) return Math.abs(len(dx, dy) - r) - w / 2;
  const e0 = len(x - (cx + r * Math.cos(a0)), y - (cy + r * Math.sin(a0)));
  const e1 = len(x - (cx + r * Math.cos(a1)), y - (cy + r * Math.sin(a1)));
  return Math.min(e0, e1) - w / 2;
}

// ---- the drawing ---------------------------------------------------------------------------------------
const C = 0.5; // centre of the rotation arrow
const RING_R = 0.35;
const RING_W = 0.08;
const deg = Math.PI / 180;
const ARC_START = -6 * deg; // just above "3 o'clock"
const ARC_END = 246 * deg; // a little left of "12 o'clock"; the gap is the upper-right quarter
const HEAD_HALF = 0.09; // arrowhead half-width (radial)
const HEAD_LEN = 31 * deg; // arrowhead length along the circle

// Arrowhead: base straddles the ring at ARC_END, tip lies on the ring further clockwise.
const polar = (r, a) => [C + r * Math.cos(a), C + r * Math.sin(a)];
const HEAD = [polar(RING_R - HEAD_HALF, ARC_END), polar(RING_R + HEAD_HALF, ARC_END), polar(RING_R, ARC_END + HEAD_LEN)];

function sdArrow(x, y) {
  const ring = sdArc(x, y, C, C, RING_R, RING_W, ARC_START, ARC_END + 2 * deg);
  const head = sdPolygon(x, y, HEAD) - 0.006; // slightly inflated for softer corners
  return Math.min(ring, head);
}

// Key in its own frame: bow centred at the origin, shaft along +x, teeth hanging toward +y.
// The frame is then rotated 45 degrees so the key runs from upper-left (bow) to lower-right (tip).
const KEY_ANGLE = 45 * deg;
const KEY_COS = Math.cos(KEY_ANGLE);
const KEY_SIN = Math.sin(KEY_ANGLE);
const BOW_DIST = 0.136; // bow centre's distance from C, toward upper-left
const BOW_R = 0.118;
const HOLE_R = 0.048;
const SHAFT_H = 0.044; // half thickness
const SHAFT_END = 0.39;
const KEY_SHIFT = 0.02; // nudge toward the upper-right so the teeth don't pull the key off-centre // tip, measured from the bow centre

function sdKeyLocal(u, v) {
  const bow = Math.max(sdCircle(u, v, 0, 0, BOW_R), -sdCircle(u, v, 0, 0, HOLE_R));
  const shaft = sdBox(u, v, BOW_R * 0.6, -SHAFT_H, SHAFT_END, SHAFT_H, 0.012);
  const tooth1 = sdBox(u, v, SHAFT_END - 0.062, 0, SHAFT_END, SHAFT_H + 0.07, 0.012);
  const tooth2 = sdBox(u, v, SHAFT_END - 0.158, 0, SHAFT_END - 0.104, SHAFT_H + 0.054, 0.012);
  return Math.min(bow, shaft, tooth1, tooth2);
}

function sdKey(x, y) {
  const ox = C - BOW_DIST * KEY_COS + KEY_SHIFT * KEY_SIN;
  const oy = C - BOW_DIST * KEY_SIN - KEY_SHIFT * KEY_COS;
  const dx = x - ox;
  const dy = y - oy;
  // inverse rotation into the key frame
  return sdKeyLocal(dx * KEY_COS + dy * KEY_SIN, -dx * KEY_SIN + dy * KEY_COS);
}

const BG_RADIUS = 0.19;
const sdBackground = (x, y) => sdBox(x, y, 0, 0, 1, 1, BG_RADIUS);

const SHADOW_DX = 0.012;
const SHADOW_DY = 0.022;
const SHADOW_SOFT = 0.03;
const SHADOW_ALPHA = 0.4;

// Colour of one sample: premultiplied [r, g, b, a] with r,g,b in 0..255 and a in 0..1.
function sample(x, y) {
  if (sdBackground(x, y) > 0) return [0, 0, 0, 0];
  const t = clamp((x + y) / 2, 0, 1);
  let col = BG_LIGHT.map((c, i) => c + (BG_DARK[i] - c) * t);
  const over = (c, a) => {
    col = col.map((v, i) => v + (c[i] - v) * a);
  };
  // soft drop shadow of the foreground (key and arrow), offset down-right
  const sx = x - SHADOW_DX;
  const sy = y - SHADOW_DY;
  const sd = Math.min(sdKey(sx, sy), sdArrow(sx, sy));
  const s = clamp(0.5 - sd / SHADOW_SOFT, 0, 1);
  over(SHADOW, SHADOW_ALPHA * s * s * (3 - 2 * s));
  if (sdArrow(x, y) <= 0) over(ARROW, 1);
  if (sdKey(x, y) <= 0) over(KEY, 1);
  return [col[0], col[1], col[2], 1];
}

function render(size, ss = 8) {
  const png = new PNG({ width: size, height: size });
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let j = 0; j < ss; j++) {
        for (let i = 0; i < ss; i++) {
          const [sr, sg, sb, sa] = sample((px + (i + 0.5) / ss) / size, (py + (j + 0.5) / ss) / size);
          r += sr * sa;
          g += sg * sa;
          b += sb * sa;
          a += sa;
        }
      }
      const o = (py * size + px) * 4;
      png.data[o] = a ? Math.round(r / a) : 0;
      png.data[o + 1] = a ? Math.round(g / a) : 0;
      png.data[o + 2] = a ? Math.round(b / a) : 0;
      png.data[o + 3] = Math.round((a / (ss * ss)) * 255);
    }
  }
  return PNG.sync.write(png);
}

function write(file, buf) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, buf);
  console.log(`draw-icon: ${path.relative(root, file) || file} (${buf.length} bytes)`);
}

/**
 * The 256-colour palette version from pngquant (Debian/Ubuntu package `pngquant`), when it is installed: about a
 * quarter of the bytes, and both copies of the icon ship in the .vsix. Without it the full-colour PNG is kept.
 */
function quantize(buf) {
  try {
    return execFileSync(process.env.PNGQUANT || 'pngquant', ['--quality=80-95', '--speed', '1', '--strip', '-'], { input: buf });
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
    console.warn('draw-icon: pngquant is not installed; writing the full-colour PNG (apt-get install pngquant for a smaller one)');
    return buf;
  }
}

const icon = quantize(render(128));
write(path.join(root, 'images', 'icon.png'), icon);
write(path.join(root, 'tasks', 'PatLifecycleV1', 'icon.png'), icon);
write(path.join(os.tmpdir(), 'icon-preview.png'), render(512, 4));
write(path.join(os.tmpdir(), 'icon-preview-32.png'), render(32));
