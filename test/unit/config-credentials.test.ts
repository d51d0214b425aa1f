// Plain passwords in a config become HA1 hashes (realm = domain) for every algorithm voiplab
// can challenge with; the loaded config never holds a password.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ha1For } from '../../ipbx/sip/index.ts';
import { HA1_ALGORITHMS, generatePassword, generateToken, parseConfigText } from '../../ipbx/config/index.ts';

const TEXT = `domain: lab.example
sip:
  listeners: [{ protocol: udp, address: 127.0.0.1, port: 0 }]
security:
  digestAlgorithms: [SHA-512-256]
accounts:
  - { extension: "1001", password: "correct horse" }
  - extension: "1002"
    ha1: { SHA-512-256: ${'a'.repeat(64)} }
`;

test('a password becomes MD5, SHA-256 and SHA-512-256 HA1 equal to ha1For(extension, domain, password)', () => {
  const { config } = parseConfigText(TEXT, 'lab.yaml');
  const [a] = config.accounts;
  assert.deepEqual(HA1_ALGORITHMS, ['MD5', 'SHA-256', 'SHA-512-256']);
  for (const algorithm of HA1_ALGORITHMS) assert.equal(a?.ha1?.[algorithm], ha1For('1001', 'lab.example', 'correct horse', algorithm));
});

test('the loaded config holds no password anywhere', () => {
  const { config } = parseConfigText(TEXT, 'lab.yaml');
  assert.ok(config.accounts.every((a) => !('password' in a)));
  assert.doesNotMatch(JSON.stringify(config), /correct horse/);
});

test('an ha1-only account is kept as written when it covers security.digestAlgorithms', () => {
  const { config } = parseConfigText(TEXT, 'lab.yaml');
  assert.deepEqual(config.accounts[1]?.ha1, { 'SHA-512-256': 'a'.repeat(64) });
});

test('generated passwords are readable, at least 12 characters, and differ', () => {
  const passwords = Array.from({ length: 50 }, generatePassword);
  for (const p of passwords) {
    assert.ok(p.length >= 12, p);
    assert.match(p, /^[a-km-zA-HJ-NP-Z2-9]{4}(-[a-km-zA-HJ-NP-Z2-9]{4}){3}$/);
  }
  assert.equal(new Set(passwords).size, passwords.length);
});

test('generated tokens are at least 32 characters and differ', () => {
  const [a, b] = [generateToken(), generateToken()];
  assert.ok(a.length >= 32);
  assert.notEqual(a, b);
});
