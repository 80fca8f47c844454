// A tiny check runner: named checks, "ok"/"not ok"/"skip" lines, a tally.
export class Checks {
  constructor() {
    this.passed = 0;
    this.failed = 0;
    this.skipped = 0;
  }

  async run(name, fn) {
    try {
      await fn();
      this.passed++;
      console.log(`ok - ${name}`);
    } catch (error) {
      this.failed++;
      console.log(`not ok - ${name}\n  ${String(error?.stack || error).split('\n').slice(0, 4).join('\n  ')}`);
    }
  }

  skip(name, why) {
    this.skipped++;
    console.log(`skip - ${name}: ${why}`);
  }
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

export function equal(actual, expected, message) {
  if (actual !== expected) {
    throw new Error(`${message}\n    expected: ${JSON.stringify(expected)}\n    actual:   ${JSON.stringify(actual)}`);
  }
}
