/** Cleanups released in reverse order of registration; every one runs even if another fails. */
export class CleanupStack {
  private readonly cleanups: Array<{ name: string; fn: () => Promise<void> | void }> = [];

  push(name: string, fn: () => Promise<void> | void): void {
    this.cleanups.push({ name, fn });
  }

  async release(onError: (name: string, error: unknown) => void): Promise<void> {
    while (this.cleanups.length > 0) {
      const { name, fn } = this.cleanups.pop()!;
      try {
        await fn();
      } catch (error) {
        onError(name, error);
      }
    }
  }
}
