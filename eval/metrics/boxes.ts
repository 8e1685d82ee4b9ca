/**
 * Box geometry for the metrics: quadrilaterals, their axis-aligned bounds and IoU.
 */

/** A point in image pixels. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Four corners, clockwise from the top-left in image coordinates. */
export type Quad = readonly [Point, Point, Point, Point];

/** Axis-aligned bounds: `x0`/`y0` included, `x1`/`y1` excluded (pixel edges). */
export interface Bounds {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** The rectangle of `bounds` as a quadrilateral. */
export function quadOf(bounds: Bounds): Quad {
  return [
    { x: bounds.x0, y: bounds.y0 },
    { x: bounds.x1, y: bounds.y0 },
    { x: bounds.x1, y: bounds.y1 },
    { x: bounds.x0, y: bounds.y1 },
  ];
}

/** The smallest axis-aligned rectangle holding every point. */
export function boundsOf(points: readonly Point[]): Bounds {
  if (points.length === 0) throw new RangeError('boundsOf() needs at least one point');
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of points) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x);
    y1 = Math.max(y1, p.y);
  }
  return { x0, y0, x1, y1 };
}

/** Area of `b`, 0 when it is empty or inverted. */
export function area(b: Bounds): number {
  return Math.max(0, b.x1 - b.x0) * Math.max(0, b.y1 - b.y0);
}

/** Area of the overlap of two axis-aligned rectangles. */
export function intersectionArea(a: Bounds, b: Bounds): number {
  return area({ x0: Math.max(a.x0, b.x0), y0: Math.max(a.y0, b.y0), x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1) });
}

/** Intersection over union of two axis-aligned rectangles; 0 when both are empty. */
export function iou(a: Bounds, b: Bounds): number {
  const inter = intersectionArea(a, b);
  const union = area(a) + area(b) - inter;
  return union === 0 ? 0 : inter / union;
}
