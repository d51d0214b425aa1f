// Per-source token buckets: a flood from one address is cut, others keep going, memory stays bounded.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { RateLimiter, SecurityError } from '../../ipbx/security/index.ts';

function allowed(limiter: RateLimiter, address: string, tries: number): number {
  let n = 0;
  for (let i = 0; i < tries; i++) if (limiter.allow(address)) n++;
  return n;
}

describe('RateLimiter', () => {
  it('is on by default with the schema defaults (burst 200, 50/s)', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ clock });
    assert.equal(allowed(limiter, '192.0.2.7', 300), 200);
    clock.advance(1000);
    assert.equal(allowed(limiter, '192.0.2.7', 300), 50);
  });
  it('allows a burst, then refills at the sustained rate', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 10, burst: 5, clock });
    assert.equal(allowed(limiter, '192.0.2.7', 10), 5);
    clock.advance(99);
    assert.equal(limiter.allow('192.0.2.7'), false);
    clock.advance(1);
    assert.equal(limiter.allow('192.0.2.7'), true);
    clock.advance(60_000);
    assert.equal(allowed(limiter, '192.0.2.7', 10), 5, 'refill stops at the burst');
  });
  it('a flood from one address does not stop another from sending', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 10, burst: 5, clock });
    allowed(limiter, '192.0.2.66', 10_000);
    assert.equal(limiter.allow('192.0.2.66'), false);
    assert.equal(limiter.allow('198.51.100.1'), true);
  });
  it('remembers at most maxSources, forgetting the least recently seen', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1, burst: 2, maxSources: 3, clock });
    allowed(limiter, 'flooder', 5);
    for (let i = 0; i < 1000; i++) {
      limiter.allow(`10.0.${i >> 8}.${i & 255}`);
      limiter.allow('flooder'); // stays the most recently seen, so it keeps its empty bucket
    }
    assert.equal(limiter.trackedSources, 3);
    assert.equal(limiter.allow('flooder'), false);
    assert.equal(limiter.allow('10.0.0.0'), true, 'a forgotten source starts with a full bucket');
  });
  it('refuses bad options with IPBX_SECURITY_BAD_OPTION naming the option', () => {
    const bad = [{ requestsPerSecond: 0 }, { burst: 0.5 }, { maxSources: 0 }, { requestsPerSecond: Number.NaN }];
    for (const options of bad) {
      assert.throws(() => new RateLimiter(options), (err: unknown) => {
        assert.ok(err instanceof SecurityError);
        assert.equal(err.code, 'IPBX_SECURITY_BAD_OPTION');
        assert.match(err.message, new RegExp(Object.keys(options)[0] ?? '?'));
        return true;
      });
    }
  });
});
