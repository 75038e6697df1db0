// The emulator's clock (frozen or real) and the API's date format.

export class Clock {
  private frozenAt: number | undefined;
  private offsetMs = 0;

  nowMs(): number {
    return this.frozenAt ?? Date.now() + this.offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** Freeze the clock at `date`; null returns to real time. */
  set(date: Date | string | number | null): void {
    this.offsetMs = 0;
    this.frozenAt = date === null ? undefined : toMs(date);
  }

  /** Move the clock forward (works frozen or running). */
  advance(ms: number): void {
    if (this.frozenAt !== undefined) this.frozenAt += ms;
    else this.offsetMs += ms;
  }
}

export function toMs(date: Date | string | number): number {
  const ms = date instanceof Date ? date.getTime() : typeof date === 'number' ? date : Date.parse(date);
  if (Number.isNaN(ms)) throw new Error(`Not a date: ${String(date)}`);
  return ms;
}

/**
 * The service stores PAT dates with 1/300 s precision (SQL datetime) and prints them with up to seven
 * fractional digits, trailing zeros removed: a validTo sent as .319Z comes back as .32Z. Keep that, so
 * clients that compare dates exactly are caught.
 */
export function roundToStoredPrecision(ms: number): number {
  return Math.round(ms * 0.3) / 0.3;
}

export function formatApiDate(ms: number): string {
  const total300 = Math.round(ms * 0.3);
  const sec = Math.floor(total300 / 300);
  const rem = total300 - sec * 300;
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  if (rem === 0) return `${base}Z`;
  const frac = String(Math.round((rem * 1e7) / 300))
    .padStart(7, '0')
    .replace(/0+$/, '');
  return `${base}.${frac}Z`;
}

/** Entra's timestamp format, e.g. 2026-05-01 10:11:12Z. */
export function formatEntraTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ') + 'Z';
}
