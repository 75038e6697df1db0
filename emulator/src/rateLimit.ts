// A fixed-window rate limiter for Azure DevOps calls. It runs on real time, not the emulator clock, so a
// client that waits Retry-After seconds really gets through.
import { EmuResponse, typedError } from './http';
import type { RateLimitPolicy } from './types';

export class RateLimiter {
  private windowStart = 0;
  private count = 0;

  reset(): void {
    this.windowStart = 0;
    this.count = 0;
  }

  /** Counts the request; returns a 429 answer when the window is full. */
  check(policy: RateLimitPolicy | undefined): EmuResponse | undefined {
    if (!policy) return undefined;
    const now = Date.now();
    const windowMs = policy.perSeconds * 1000;
    if (now - this.windowStart >= windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    const resetMs = this.windowStart + windowMs;
    if (this.count < policy.maxRequests) {
      this.count++;
      return undefined;
    }
    const retryAfter = Math.max(1, Math.ceil((resetMs - now) / 1000));
    return typedError(
      429,
      'RequestThrottledException',
      `TF400733: Request was blocked because too many requests were made in a short time (limit ${policy.maxRequests} per ${policy.perSeconds} s). Retry after ${retryAfter} s.`,
      {
        namespace: 'Microsoft.TeamFoundation.Framework.Server',
        assembly: 'Microsoft.TeamFoundation.Framework.Server',
        headers: {
          'retry-after': String(retryAfter),
          'x-ratelimit-resource': 'Core',
          'x-ratelimit-delay': retryAfter.toFixed(3),
          'x-ratelimit-limit': String(policy.maxRequests),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.ceil(resetMs / 1000)),
        },
      },
    );
  }
}
