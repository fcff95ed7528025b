/**
 * Runs tasks one at a time per key, in submission order; different keys run side by side. Generations for one
 * dataset are serialised so that each is charged and admitted against the ledger state its predecessor left.
 */
export class KeyedSerialQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Tasks queued or running for `key`. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }
}
