import * as assert from 'node:assert/strict';
import { withTimeout } from '../../tasks/PatLifecycleV1/src/timeout';

describe('withTimeout (the one bounded wait)', () => {
  const later = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));

  it('gives the promise outcome when it settles first, and onTimeout is not called', async () => {
    let called = false;
    assert.equal(await withTimeout(later(5, 'answer'), 1000, () => ((called = true), 'late')), 'answer');
    await assert.rejects(
      withTimeout(Promise.reject(new Error('refused')), 1000, () => 'late'),
      /refused/,
    );
    assert.equal(called, false);
  });

  it('gives what onTimeout returns, or fails with what it throws, when the time is up', async () => {
    assert.equal(await withTimeout(later(1000, 'answer'), 5, () => 'gave up'), 'gave up');
    await assert.rejects(
      withTimeout(later(1000, 'answer'), 5, () => {
        throw Object.assign(new Error('Response body timeout'), { code: 'ETIMEDOUT' });
      }),
      (err: NodeJS.ErrnoException) => err.code === 'ETIMEDOUT',
    );
  });

  it('clears its timer once the promise settles: onTimeout never runs later', async () => {
    let called = false;
    await withTimeout(Promise.resolve(1), 20, () => ((called = true), 0));
    await later(60, undefined);
    assert.equal(called, false);
  });
});
