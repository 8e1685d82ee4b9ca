/**
 * Planar geometry for postprocessors. Points travel as interleaved `[x0, y0, x1, y1, ...]`
 * Float64Arrays so the hot paths can reuse scratch buffers instead of allocating point objects.
 *
 * Orientation: "counter-clockwise" below is in the usual y-up sense, i.e. a positive signed area;
 * on screen, where y points down, the same order looks clockwise.
 */

/** A rectangle of any rotation. */
export interface RotatedRect {
  readonly centerX: number;
  readonly centerY: number;
  /** Length of the side that points along `angle`. */
  readonly width: number;
  /** Length of the other side. */
  readonly height: number;
  /** Direction of the `width` side, in radians from the +x axis towards +y. */
  readonly angle: number;
}

/**
 * Convex hull of `count` points (Andrew's monotone chain). Collinear points on an edge are left
 * out. Returns the hull's vertices counter-clockwise, starting from the smallest (x, y).
 */
export function convexHull(points: ArrayLike<number>, count = points.length >> 1): Float64Array {
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort((a, b) => points[2 * a] - points[2 * b] || points[2 * a + 1] - points[2 * b + 1]);
  const sorted = new Float64Array(2 * count);
  for (let i = 0; i < count; i++) {
    sorted[2 * i] = points[2 * order[i]];
    sorted[2 * i + 1] = points[2 * order[i] + 1];
  }
  const hull = new Float64Array(2 * count + 2);
  const n = convexHullOfSorted(sorted, count, hull);
  return hull.slice(0, 2 * n);
}

/**
 * Monotone chain over points already sorted by x, then y: writes the hull counter-clockwise into
 * `out` (room for `count + 1` points) and returns its number of vertices. For callers that can
 * produce their points in order and want no allocation.
 */
export function convexHullOfSorted(points: ArrayLike<number>, count: number, out: Float64Array): number {
  if (count <= 2) {
    for (let i = 0; i < 2 * count; i++) out[i] = points[i];
    return count === 2 && points[0] === points[2] && points[1] === points[3] ? 1 : count;
  }
  let k = 0;
  for (let i = 0; i < count; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    while (k >= 2 && cross(out, k - 2, k - 1, x, y) <= 0) k--;
    out[2 * k] = x;
    out[2 * k + 1] = y;
    k++;
  }
  const lower = k + 1;
  for (let i = count - 2; i >= 0; i--) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    while (k >= lower && cross(out, k - 2, k - 1, x, y) <= 0) k--;
    out[2 * k] = x;
    out[2 * k + 1] = y;
    k++;
  }
  // The last point repeats the first.
  return k - 1;
}

/** z of (b - a) x (p - a) for hull vertices a, b in `h`. */
function cross(h: Float64Array, a: number, b: number, px: number, py: number): number {
  const ax = h[2 * a];
  const ay = h[2 * a + 1];
  return (h[2 * b] - ax) * (py - ay) - (h[2 * b + 1] - ay) * (px - ax);
}

/**
 * Minimum-area enclosing rectangle of a convex polygon given counter-clockwise without collinear
 * vertices (what `convexHull` returns), by rotating calipers: one side of the optimum lies on a
 * hull edge, and for each edge in turn the farthest points along it, against it and across it
 * only move forward, so the whole search is linear in the number of vertices.
 */
export function minAreaRect(hull: ArrayLike<number>, count = hull.length >> 1): RotatedRect {
  if (count === 0) return { centerX: 0, centerY: 0, width: 0, height: 0, angle: 0 };
  if (count === 1) return { centerX: hull[0], centerY: hull[1], width: 0, height: 0, angle: 0 };
  if (count === 2) {
    const dx = hull[2] - hull[0];
    const dy = hull[3] - hull[1];
    return {
      centerX: (hull[0] + hull[2]) / 2,
      centerY: (hull[1] + hull[3]) / 2,
      width: Math.hypot(dx, dy),
      height: 0,
      angle: Math.atan2(dy, dx),
    };
  }

  // Calipers are vertex indices that only grow; `at` reduces them modulo count when read.
  let far = 1; // largest projection along the edge
  let top = 1; // largest distance from the edge's line
  let near = 0; // smallest projection along the edge
  let best: RotatedRect | undefined;
  let bestArea = Infinity;

  for (let i = 0; i < count; i++) {
    const ox = hull[2 * i];
    const oy = hull[2 * i + 1];
    const next = at(i + 1, count);
    const len = Math.hypot(hull[next] - ox, hull[next + 1] - oy);
    // A repeated vertex has no direction; convexHull never returns one, callers might.
    if (len === 0) continue;
    const ux = (hull[next] - ox) / len;
    const uy = (hull[next + 1] - oy) / len;
    // The polygon lies on the left of each counter-clockwise edge, along v = u rotated +90°,
    // so v = (-uy, ux) and the distance across is the projection on it.
    if (far < i + 1) far = i + 1;
    while (project(hull, at(far + 1, count), ox, oy, ux, uy) > project(hull, at(far, count), ox, oy, ux, uy)) far++;
    if (top < far) top = far;
    while (project(hull, at(top + 1, count), ox, oy, -uy, ux) > project(hull, at(top, count), ox, oy, -uy, ux)) top++;
    if (i === 0 || near < top) near = top;
    while (project(hull, at(near + 1, count), ox, oy, ux, uy) < project(hull, at(near, count), ox, oy, ux, uy)) near++;

    const lo = project(hull, at(near, count), ox, oy, ux, uy);
    const hi = project(hull, at(far, count), ox, oy, ux, uy);
    const height = project(hull, at(top, count), ox, oy, -uy, ux);
    const area = (hi - lo) * height;
    if (area < bestArea) {
      bestArea = area;
      const mid = (lo + hi) / 2;
      best = {
        centerX: ox + ux * mid - uy * (height / 2),
        centerY: oy + uy * mid + ux * (height / 2),
        width: hi - lo,
        height,
        angle: Math.atan2(uy, ux),
      };
    }
  }
  return best ?? { centerX: hull[0], centerY: hull[1], width: 0, height: 0, angle: 0 };
}

/** Offset in an interleaved array of caliper index `i`. */
function at(i: number, count: number): number {
  return 2 * (i % count);
}

/** Projection of the vertex at `offset` onto direction (dx, dy) from origin (ox, oy). */
function project(hull: ArrayLike<number>, offset: number, ox: number, oy: number, dx: number, dy: number): number {
  return (hull[offset] - ox) * dx + (hull[offset + 1] - oy) * dy;
}

/**
 * The four corners of a rectangle, interleaved, counter-clockwise (y-up sense) starting from
 * `center - width/2 along angle - height/2 across it`.
 */
export function rectCorners(rect: RotatedRect): Float64Array {
  const ux = Math.cos(rect.angle);
  const uy = Math.sin(rect.angle);
  const wx = (ux * rect.width) / 2;
  const wy = (uy * rect.width) / 2;
  const hx = (-uy * rect.height) / 2;
  const hy = (ux * rect.height) / 2;
  const cx = rect.centerX;
  const cy = rect.centerY;
  return Float64Array.of(
    cx - wx - hx, cy - wy - hy,
    cx + wx - hx, cy + wy - hy,
    cx + wx + hx, cy + wy + hy,
    cx - wx + hx, cy - wy + hy,
  );
}

/**
 * Orders the four corners of a convex quadrilateral as a reader expects on screen (y down):
 * clockwise, starting from the top-left corner, taken as the one with the smallest x + y (then
 * the smallest y). For text tilted by less than 45° that is the start of its top edge.
 */
export function orderCornersClockwise(corners: ArrayLike<number>): Float64Array {
  const cx = (corners[0] + corners[2] + corners[4] + corners[6]) / 4;
  const cy = (corners[1] + corners[3] + corners[5] + corners[7]) / 4;
  // With y down, increasing atan2 turns clockwise on screen.
  const order = [0, 1, 2, 3].sort(
    (a, b) =>
      Math.atan2(corners[2 * a + 1] - cy, corners[2 * a] - cx) -
      Math.atan2(corners[2 * b + 1] - cy, corners[2 * b] - cx),
  );
  let start = 0;
  for (let i = 1; i < 4; i++) {
    const s = corners[2 * order[i]] + corners[2 * order[i] + 1];
    const t = corners[2 * order[start]] + corners[2 * order[start] + 1];
    if (s < t || (s === t && corners[2 * order[i] + 1] < corners[2 * order[start] + 1])) start = i;
  }
  const out = new Float64Array(8);
  for (let i = 0; i < 4; i++) {
    const j = order[(start + i) % 4];
    out[2 * i] = corners[2 * j];
    out[2 * i + 1] = corners[2 * j + 1];
  }
  return out;
}
