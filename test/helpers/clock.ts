import type { Clock } from '../../src/domain/clock.js';

/** A clock that stands still until the test moves it: for expiries and timestamps without sleeping. */
export class FakeClock implements Clock {
  private ms: number;

  constructor(start: string | Date = new Date()) {
    this.ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  advance(ms: number): void {
    this.ms += ms;
  }

  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}
