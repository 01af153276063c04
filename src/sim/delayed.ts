// Keys a controller has asked to see again later (a reconcile's requeueAfter, a failure's
// back-off), as client-go's delaying queue and the real runner's WorkQueue.addAfter keep them: a
// key waits at most once, and the earlier of two schedules wins. Without that, every reconcile
// that asks for a later look adds a timer of its own, and each timer is a reconcile more.

export class DelayedKeys {
  private readonly due = new Map<string, number>();

  /** Asks for key at `at`: true when a timer must be set for it (no earlier one is waiting). */
  schedule(key: string, at: number): boolean {
    const d = this.due.get(key);
    if (d !== undefined && d <= at) return false;
    this.due.set(key, at);
    return true;
  }

  /** A timer for key set for `at` fires: true when it is the one that counts (it then is spent). */
  fire(key: string, at: number): boolean {
    if (this.due.get(key) !== at) return false;
    this.due.delete(key);
    return true;
  }

  /** The process lost its queue (a crash). */
  clear(): void {
    this.due.clear();
  }
}
