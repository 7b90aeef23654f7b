// Runs async work over many items with at most `limit` in flight, so a copy
// of a 40-layer image opens a handful of connections, not forty.

/**
 * Maps `items` through `work`, at most `limit` at a time, keeping order.
 * After the first failure no new item starts; it rejects with that failure
 * once the items already running have settled (no upload is left dangling).
 */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
