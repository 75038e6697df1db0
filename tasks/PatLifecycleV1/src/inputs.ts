/**
 * A generic reader of task inputs: each value trimmed, checked and parsed, every problem recorded with the input it
 * is about (never decided by searching message text). The task's own rules are in params.ts.
 */
import { loc, type KeysTaking } from './messages.generated';

/** Returns the raw input value, or undefined/empty when not set. */
export type InputReader = (name: string) => string | undefined;

const MACRO = /^\$\(([^)]+)\)$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export class Inputs {
  /** When set, every other input reads as empty. */
  only?: ReadonlySet<string>;
  /** Inputs a problem was reported for: one message an input is enough. */
  readonly reported = new Set<string>();

  constructor(
    private readonly read: InputReader,
    protected readonly problems: string[],
  ) {}

  /** Records a problem with an input (or with the task's inputs as a whole, without a name). */
  report(name: string | undefined, message: string): void {
    if (name) this.reported.add(name);
    this.problems.push(message);
  }

  /** The trimmed value, or undefined when empty. An unexpanded `$(Variable)` is reported and treated as empty. */
  raw(name: string): string | undefined {
    if (this.only && !this.only.has(name)) return undefined;
    const value = (this.read(name) ?? '').trim();
    if (value === '') return undefined;
    const macro = MACRO.exec(value);
    if (macro) {
      this.report(name, loc('UnexpandedVariable', name, macro[1], macro[1]));
      return undefined;
    }
    return value;
  }

  required<T>(name: string, parse: (v: string) => T | undefined, invalidKey: KeysTaking<2>): T | undefined {
    const value = this.raw(name);
    if (value === undefined) {
      if (!this.reported.has(name)) this.report(name, loc('InputRequired', name));
      return undefined;
    }
    return this.parsed(name, value, parse, invalidKey);
  }

  optional<T>(name: string, parse: (v: string) => T | undefined, invalidKey: KeysTaking<2>): T | undefined {
    const value = this.raw(name);
    return value === undefined ? undefined : this.parsed(name, value, parse, invalidKey);
  }

  protected parsed<T>(name: string, value: string, parse: (v: string) => T | undefined, invalidKey: KeysTaking<2>): T | undefined {
    const result = parse(value);
    if (result === undefined) this.report(name, loc(invalidKey, name, value));
    return result;
  }

  secret(name: string, required: boolean): string | undefined {
    const value = this.raw(name);
    if (value === undefined) {
      if (required && !this.reported.has(name)) this.report(name, loc('SecretRequired', name));
      return undefined;
    }
    // Never echo a secret back: say what is wrong with it, not what it is.
    if (/\s/.test(value) || value.length < 16) {
      this.report(name, loc('SecretMalformed', name));
      return undefined;
    }
    return value;
  }

  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
    if (!found) this.report(name, loc('ChoiceInvalid', name, value, allowed.join(', ')));
    return found ?? fallback;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (/^true$/i.test(value)) return true;
    if (/^false$/i.test(value)) return false;
    this.report(name, loc('BoolInvalid', name, value));
    return fallback;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const n = /^[+-]?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.report(name, loc('IntegerInvalid', name, value, min, max));
      return undefined;
    }
    return n;
  }

  /** An ISO 8601 date-time in the future, at most `maxDays` away. */
  date(name: string, now: Date, maxDays: number): Date | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const ms = ISO_DATE.test(value) ? Date.parse(value) : NaN;
    if (Number.isNaN(ms)) {
      this.report(name, loc('DateInvalid', name, value));
      return undefined;
    }
    if (ms <= now.getTime()) {
      this.report(name, loc('DateInPast', name, value));
      return undefined;
    }
    if (ms > now.getTime() + maxDays * 86_400_000) {
      this.report(name, loc('DateTooFar', name, value, maxDays));
      return undefined;
    }
    return new Date(ms);
  }

  /** Names or ids, one per line or separated by commas. */
  list(name: string, parse: (v: string) => string | undefined, invalidKey: KeysTaking<2>): readonly string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const items = [
      ...new Set(
        value
          .split(/[\r\n,]+/)
          .map((v) => v.trim())
          .filter((v) => v !== ''),
      ),
    ];
    return items.filter((item) => this.parsed(name, item, parse, invalidKey) !== undefined);
  }

  /** An https URL without query (`http` only for loopback hosts where allowed). Returned without trailing slash. */
  url(name: string, fallback: string, allowPath: boolean, loopbackHttp = false): string {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.report(name, loc('UrlInvalid', name, value));
      return fallback;
    }
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    const httpOk = url.protocol === 'http:' && loopback && loopbackHttp;
    if (url.protocol !== 'https:' && !httpOk) {
      this.report(name, loc('UrlNotHttps', name, value));
      return fallback;
    }
    if (url.username || url.password || url.search || url.hash || (!allowPath && url.pathname !== '/')) {
      this.report(name, loc('UrlShape', name, value));
      return fallback;
    }
    return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  }
}
