/**
 * Runs work with at most `limit` items in flight. `shrink()` halves the limit (the HTTP layer calls it when
 * the service throttles), so a bulk job backs off instead of hammering a rate limit.
 */
export class AdaptivePool {
  private limit: number;
  private active = 0;

  constructor(max: number) {
    this.limit = Math.max(1, Math.floor(max));
  }

  get currentLimit(): number {
    return this.limit;
  }

  shrink(): void {
    this.limit = Math.max(1, Math.floor(this.limit / 2));
  }

  /** Runs `fn` for every item; never rejects: each outcome is in the result at the item's index. */
  run<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
    const results: PromiseSettledResult<R>[] = new Array<PromiseSettledResult<R>>(items.length);
    let next = 0;
    return new Promise((resolve) => {
      const pump = (): void => {
        if (next >= items.length && this.active === 0) {
          resolve(results);
          return;
        }
        while (this.active < this.limit && next < items.length) {
          const index = next++;
          this.active++;
          void Promise.resolve()
            .then(() => fn(items[index]))
            .then(
              (value) => (results[index] = { status: 'fulfilled', value }),
              (reason: unknown) => (results[index] = { status: 'rejected', reason }),
            )
            .finally(() => {
              this.active--;
              pump();
            });
        }
      };
      pump();
    });
  }
}
