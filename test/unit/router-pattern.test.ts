// Dialplan patterns: every Asterisk feature voiplab supports, the refusals with their positions,
// and the input bound that keeps matching linear.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compilePattern, DialplanError, MAX_DIALLED_LENGTH } from '../../ipbx/router/index.ts';

function check(pattern: string, yes: readonly string[], no: readonly string[]): void {
  const p = compilePattern(pattern);
  for (const n of yes) assert.equal(p.matches(n), true, `${pattern} should match ${n}`);
  for (const n of no) assert.equal(p.matches(n), false, `${pattern} should not match ${n}`);
}

describe('dialplan patterns: exact numbers', () => {
  it('an exact number matches only itself', () => {
    check('1001', ['1001'], ['100', '10011', '1002', '']);
  });
  it('telephone-like exact rules lose their visual separators', () => {
    const p = compilePattern('01-23 (45).67');
    assert.equal(p.kind, 'exact');
    assert.equal(p.exact, '01234567');
    check('01-23 (45).67', ['01234567'], ['01-23 (45).67']);
  });
  it('names are exact, keep their dots and are case-sensitive (RFC 3261 §19.1.4)', () => {
    check('alice.smith', ['alice.smith'], ['Alice.smith', 'alicesmith']);
    check('*97', ['*97'], ['97']);
  });
});

describe('dialplan patterns: _ patterns', () => {
  it('X is 0-9, Z is 1-9, N is 2-9', () => {
    check('_1X', ['10', '19'], ['1', '1a', '100']);
    check('_Z', ['1', '9'], ['0']);
    check('_N', ['2', '9'], ['0', '1']);
  });
  it('x, z and n are wildcards too (as in Asterisk)', () => {
    check('_nxz', ['201', '999'], ['101', '200', 'nxz']);
  });
  it('classes: single characters and ranges ([1-5], [13-5])', () => {
    check('_[1-5]XX', ['100', '599'], ['000', '600']);
    check('_[13-5]', ['1', '3', '4', '5'], ['2', '6']);
    check('_[*#]X', ['*1', '#9'], ['+1']);
    check('_[n]', ['n'], ['2']);
    check('_[a-c]', ['a', 'b', 'c'], ['d', 'A']);
  });
  it('. matches one or more further characters, of any kind', () => {
    check('_0.', ['01', '0123456789', '0abc'], ['0']);
    check('_.', ['1', 'anything'], ['']);
  });
  it('! matches zero or more further characters', () => {
    check('_0!', ['0', '01', '0123'], ['', '1']);
    check('_!', ['', 'x'], []);
  });
  it('*, #, + and other letters are literal; letters case-sensitive', () => {
    check('_*XX', ['*97'], ['197', '#97']);
    check('_#1', ['#1'], ['*1']);
    check('_+33.', ['+33123456789'], ['33123', '+34123']);
    check('_alice', ['alice'], ['Alice']);
  });
  it('- outside a class is a visual separator (_1-800-NXX-XXXX)', () => {
    check('_1-800-NXX-XXXX', ['18002345678'], ['1-800-234-5678', '18001345678']);
  });
  it('characters beyond ASCII never match a position', () => {
    check('_X', [], ['é', '٣']);
  });
});

describe('dialplan patterns: invalid patterns are refused with the position', () => {
  const cases: Array<[string, number]> = [
    ['', 0],
    ['_', 1],
    ['_---', 1],
    ['_1[', 2],
    ['_1[23', 2],
    ['_[]', 1],
    ['_[5-1]', 2],
    ['_[1-a]', 4],
    ['_[-1]', 2],
    ['_[1-]', 3],
    ['_[1@]', 3],
    ['_X.1', 2],
    ['_1!2', 2],
    ['_1 2', 2],
    ['_1@', 2],
    ['_1]', 2],
    ['1001@', 4],
    ['x'.repeat(65), 64],
  ];
  for (const [pattern, position] of cases) {
    it(`"${pattern.length > 20 ? `${pattern.slice(0, 10)}…` : pattern}" at ${position}`, () => {
      assert.throws(() => compilePattern(pattern, 'dialplan[3].match'), (err: unknown) => {
        assert.ok(err instanceof DialplanError);
        assert.equal(err.code, 'IPBX_DIALPLAN_BAD_PATTERN');
        assert.equal(err.pattern, pattern);
        assert.equal(err.position, position);
        assert.match(err.message, /^dialplan\[3\]\.match "/);
        assert.ok(err.message.includes(`at position ${position}`), err.message);
        return true;
      });
    });
  }
});

describe('dialplan patterns: input bound', () => {
  it(`numbers longer than ${MAX_DIALLED_LENGTH} characters never match`, () => {
    check('_X!', ['1'.repeat(MAX_DIALLED_LENGTH)], ['1'.repeat(MAX_DIALLED_LENGTH + 1)]);
  });
  it('a million-character input against every kind of pattern completes (one pass, no backtracking)', () => {
    const long = `${'1'.repeat(1_000_000)}a`;
    for (const pattern of ['_X.', '_X!', '_[1-5]XXX', '_1.', '1001', '_!']) {
      assert.equal(compilePattern(pattern).matches(long), false, pattern);
    }
  });
});
