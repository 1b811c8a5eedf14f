/** `value` limited to [min, max]; the unit interval unless told otherwise. */
export function clamp(value: number, min = 0, max = 1): number {
  return Math.min(max, Math.max(min, value));
}
