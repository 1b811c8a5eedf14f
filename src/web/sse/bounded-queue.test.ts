import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './bounded-queue.js';

describe('BoundedQueue', () => {
  it('keeps items in order while under capacity', () => {
    const queue = new BoundedQueue<number>(3);
    expect(queue.push(1)).toBeUndefined();
    expect(queue.push(2)).toBeUndefined();
    expect([queue.shift(), queue.shift(), queue.shift()]).toEqual([1, 2, undefined]);
  });

  it('drops the oldest item when full and counts the drops', () => {
    const queue = new BoundedQueue<number>(2);
    for (const item of [1, 2, 3, 4]) queue.push(item);
    expect(queue.size).toBe(2);
    expect(queue.dropped).toBe(2);
    expect([queue.shift(), queue.shift()]).toEqual([3, 4]);
  });

  it('refuses a capacity below one', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});
