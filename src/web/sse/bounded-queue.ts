/** A FIFO that keeps at most `capacity` items: pushing onto a full queue drops the oldest. */
export class BoundedQueue<Item> {
  private items: Item[] = [];
  private droppedCount = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Adds an item; returns the item that was dropped to make room, if any. */
  push(item: Item): Item | undefined {
    this.items.push(item);
    if (this.items.length <= this.capacity) return undefined;
    this.droppedCount++;
    return this.items.shift();
  }

  shift(): Item | undefined {
    return this.items.shift();
  }

  clear(): void {
    this.items = [];
  }

  get size(): number {
    return this.items.length;
  }

  /** How many items were dropped over the queue's lifetime. */
  get dropped(): number {
    return this.droppedCount;
  }
}
