import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  convexHull,
  minAreaRect,
  orderCornersClockwise,
  rectCorners,
} from '../../../../server/worker/postprocess/geometry.js';

/** Deterministic pseudo-random numbers, so failures reproduce. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function pairs(a: ArrayLike<number>): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < a.length; i += 2) out.push([a[i]!, a[i + 1]!]);
  return out;
}

/** Shoelace sum: positive for counter-clockwise with y up (clockwise on screen). */
function signedArea(a: ArrayLike<number>): number {
  let s = 0;
  const n = a.length / 2;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    s += a[2 * i]! * a[2 * j + 1]! - a[2 * j]! * a[2 * i + 1]!;
  }
  return s / 2;
}

/** The minimum-area rectangle by trying every hull edge against every vertex. */
function bruteMinArea(hull: Float64Array): number {
  const n = hull.length / 2;
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const dx = hull[2 * j]! - hull[2 * i]!;
    const dy = hull[2 * j + 1]! - hull[2 * i + 1]!;
    const len = Math.hypot(dx, dy);
    const [ux, uy] = [dx / len, dy / len];
    let [lo, hi, lo2, hi2] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let k = 0; k < n; k++) {
      const a = hull[2 * k]! * ux + hull[2 * k + 1]! * uy;
      const b = -hull[2 * k]! * uy + hull[2 * k + 1]! * ux;
      [lo, hi, lo2, hi2] = [Math.min(lo, a), Math.max(hi, a), Math.min(lo2, b), Math.max(hi2, b)];
    }
    best = Math.min(best, (hi - lo) * (hi2 - lo2));
  }
  return best;
}

test('the hull of a square with interior and edge points is its four corners, counter-clockwise', () => {
  const points = [5, 5, 0, 0, 10, 0, 3, 7, 10, 10, 0, 10, 5, 0, 10, 4, 2, 2, 0, 5];
  const hull = convexHull(points);
  assert.deepEqual(pairs(hull), [[0, 0], [10, 0], [10, 10], [0, 10]]);
  assert.ok(signedArea(hull) > 0);
});

test('hulls of random points contain every point and are convex', () => {
  const rnd = random(7);
  for (let trial = 0; trial < 50; trial++) {
    const points = Array.from({ length: 2 * (3 + Math.floor(rnd() * 60)) }, () => Math.round(rnd() * 100));
    const hull = convexHull(points);
    const n = hull.length / 2;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      for (let k = 0; k < points.length; k += 2) {
        const cross =
          (hull[2 * j]! - hull[2 * i]!) * (points[k + 1]! - hull[2 * i + 1]!) -
          (hull[2 * j + 1]! - hull[2 * i + 1]!) * (points[k]! - hull[2 * i]!);
        assert.ok(cross >= 0, `trial ${trial}: point ${points[k]},${points[k + 1]} outside edge ${i}`);
      }
    }
  }
});

test('the minimum-area rectangle of a rotated rectangle recovers its size and angle', () => {
  const truth = { centerX: 50, centerY: 40, width: 40, height: 10, angle: (30 * Math.PI) / 180 };
  const corners = rectCorners(truth);
  const points = [...corners, 50, 40, 45, 41, 55, 42];
  const rect = minAreaRect(convexHull(points));
  assert.ok(Math.abs(rect.width * rect.height - 400) < 1e-9, `area ${rect.width * rect.height}`);
  assert.ok(Math.abs(rect.centerX - 50) < 1e-9 && Math.abs(rect.centerY - 40) < 1e-9);
  // The long side is along 30° (mod 180°) whichever side the rectangle calls its width.
  const longAngle = rect.width >= rect.height ? rect.angle : rect.angle + Math.PI / 2;
  const folded = ((longAngle % Math.PI) + Math.PI) % Math.PI;
  assert.ok(Math.abs(folded - Math.PI / 6) < 1e-9, `long side at ${(folded * 180) / Math.PI}°`);
  assert.ok(Math.abs(Math.max(rect.width, rect.height) - 40) < 1e-9);
});

test('rotating calipers agree with an exhaustive search', () => {
  const rnd = random(42);
  for (let trial = 0; trial < 300; trial++) {
    const points = Array.from({ length: 2 * (3 + Math.floor(rnd() * 40)) }, () => rnd() * 200 - 100);
    const hull = convexHull(points);
    if (hull.length < 6) continue;
    const rect = minAreaRect(hull);
    const expected = bruteMinArea(hull);
    assert.ok(Math.abs(rect.width * rect.height - expected) <= 1e-9 * Math.max(1, expected), `trial ${trial}`);
    // The rectangle encloses the hull.
    const ux = Math.cos(rect.angle);
    const uy = Math.sin(rect.angle);
    for (const [x, y] of pairs(hull)) {
      const a = (x - rect.centerX) * ux + (y - rect.centerY) * uy;
      const b = -(x - rect.centerX) * uy + (y - rect.centerY) * ux;
      assert.ok(Math.abs(a) <= rect.width / 2 + 1e-9 && Math.abs(b) <= rect.height / 2 + 1e-9, `trial ${trial}`);
    }
  }
});

test('degenerate inputs give degenerate rectangles', () => {
  assert.deepEqual(minAreaRect(Float64Array.of(3, 4)), { centerX: 3, centerY: 4, width: 0, height: 0, angle: 0 });
  const segment = minAreaRect(Float64Array.of(0, 0, 6, 8));
  assert.equal(segment.width, 10);
  assert.equal(segment.height, 0);
});

test('corners are ordered clockwise on screen from the top-left', () => {
  for (const degrees of [0, 10, -10, 30, -40, 90, 180]) {
    const rect = { centerX: 100, centerY: 100, width: 60, height: 20, angle: (degrees * Math.PI) / 180 };
    const ordered = orderCornersClockwise(rectCorners(rect));
    // y points down: a positive shoelace sum is clockwise as seen on screen.
    assert.ok(signedArea(ordered) > 0, `${degrees}°`);
    const sums = pairs(ordered).map(([x, y]) => x + y);
    assert.equal(Math.min(...sums), sums[0], `${degrees}°: first corner is the top-left`);
  }
  // Axis-aligned: exactly TL, TR, BR, BL.
  const box = orderCornersClockwise(Float64Array.of(10, 20, 0, 20, 0, 0, 10, 0));
  assert.deepEqual(pairs(box), [[0, 0], [10, 0], [10, 20], [0, 20]]);
});
