// Dialled numbers: separators of telephone numbers removed, escapes decoded once, names untouched.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeDialled } from '../../ipbx/router/index.ts';

describe('normalizeDialled', () => {
  it('strips RFC 3966 visual separators from telephone numbers', () => {
    assert.equal(normalizeDialled('01.23.45.67.89'), '0123456789');
    assert.equal(normalizeDialled('+33-(0)1-23-45'), '+33012345');
    assert.equal(normalizeDialled('*97'), '*97');
  });
  it('unescapes %HH, escaped spaces included', () => {
    assert.equal(normalizeDialled('%2B33%201%2023'), '+33123');
    assert.equal(normalizeDialled('%31%30%30%31'), '1001');
  });
  it('unescapes only once (%2520 stays %20, and is then not a telephone number)', () => {
    assert.equal(normalizeDialled('1%25201'), '1%201');
  });
  it('decodes a run of escapes as UTF-8', () => {
    assert.equal(normalizeDialled('ren%C3%A9'), 'rené');
  });
  it('keeps invalid escapes literally', () => {
    assert.equal(normalizeDialled('10%G1'), '10%G1');
    assert.equal(normalizeDialled('10%'), '10%');
  });
  it('leaves names alone (dots and dashes belong to them)', () => {
    assert.equal(normalizeDialled('alice.smith'), 'alice.smith');
    assert.equal(normalizeDialled('alice%2Esmith'), 'alice.smith');
    assert.equal(normalizeDialled('jean-luc'), 'jean-luc');
    assert.equal(normalizeDialled('...'), '...');
  });
  it('is linear on long hostile input', () => {
    const long = `${'1-'.repeat(200_000)}a`;
    assert.equal(normalizeDialled(long), long);
    assert.equal(normalizeDialled('%41'.repeat(100_000)).length, 100_000);
  });
});
