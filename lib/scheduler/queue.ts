/** A pending-request list ordered by priority (high first), then arrival. */
export class PriorityList<T extends { priority: number; seq: number }> {
  private items: T[] = [];

  get length(): number {
    return this.items.length;
  }

  insert(item: T): void {
    // Binary search for the first item that should come after this one.
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.items[mid];
      if (m.priority > item.priority || (m.priority === item.priority && m.seq < item.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.items.splice(lo, 0, item);
  }

  remove(item: T): boolean {
    const i = this.items.indexOf(item);
    if (i >= 0) this.items.splice(i, 1);
    return i >= 0;
  }

  shift(): T | undefined {
    return this.items.shift();
  }

  at(index: number): T | undefined {
    return this.items[index];
  }

  /** Live, not a copy: do not insert or remove while iterating (the pump walks by index instead). */
  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }
}
