/** Days left, computed one way everywhere: the log, the summary and every threshold. */
export const DAY_MS = 86_400_000;

/** Whole days until `validTo` (0 on its last day, negative once expired). */
export function daysLeft(validTo: string, now: Date): number {
  return Math.floor((Date.parse(validTo) - now.getTime()) / DAY_MS);
}
