/**
 * The one way the task (and the sign-in command) bounds a wait: `promise`'s outcome, or after `ms` whatever
 * `onTimeout` returns or throws. The timer is cleared as soon as either side settles.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      // onTimeout throws the error it wants the wait to fail with.
      try {
        resolve(onTimeout());
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
