import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenLines } from '../../cli/listen-lines.ts';

test('serve prints its listeners, then where the softphone and the queue wallboard are', () => {
  const lines = listenLines({
    sipEndpoints: [{ protocol: 'udp', address: '0.0.0.0', port: 5060 }],
    httpEndpoints: [{ protocol: 'http', address: '127.0.0.1', port: 8080 }],
  });
  assert.deepEqual(lines, ['SIP udp 0.0.0.0:5060', 'HTTP http://127.0.0.1:8080/', 'Softphone http://127.0.0.1:8080/phone/', 'Queue wallboard http://127.0.0.1:8080/wallboard/']);
});

test('a wildcard HTTPS listener gives the pages on 127.0.0.1 when no LAN address is known, never 0.0.0.0', () => {
  const lines = listenLines({ sipEndpoints: [], httpEndpoints: [{ protocol: 'https', address: '0.0.0.0', port: 8443 }] });
  const pages = lines.filter((l) => l.startsWith('Softphone') || l.startsWith('Queue wallboard'));
  assert.equal(pages.length, 2);
  for (const line of pages) assert.doesNotMatch(line, /0\.0\.0\.0/);
});
