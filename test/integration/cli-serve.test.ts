// `voiplab serve` as a process: bad configs exit 1 with file:line:column, and a good one listens on
// every configured address, prints them, follows `voiplab account add` through its file watch and
// closes cleanly on SIGTERM/SIGINT.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/voiplab.js', import.meta.url));
const TOKEN = 'integration-admin-token-0123456789';


function voiplab(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000, env }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'voiplab-serve-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const LOOPBACK_CONFIG = `# integration test config
domain: lab.example
sip:
  listeners:
    - { protocol: udp, address: 127.0.0.1, port: 0 }
    - { protocol: tcp, address: 127.0.0.1, port: 0 }
    - { protocol: tls, address: 127.0.0.1, port: 0 }
    - { protocol: ws, address: 127.0.0.1, port: 0 }
    - { protocol: wss, address: 127.0.0.1, port: 0 }
http:
  listeners:
    - { protocol: https, address: 127.0.0.1, port: 0 }
    - { protocol: http, address: 127.0.0.1, port: 0 }
accounts:
  - { extension: "1001", password: first-password }
`;

test('serve with an invalid config exits 1 printing file:line:column: field: message', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'voiplab.yaml');
    await writeFile(file, LOOPBACK_CONFIG.replace('protocol: tls', 'protocol: tlsv2'));
    const result = await voiplab(['serve', '--config', file, '--data', join(dir, 'data')]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim(), `${file}:7:19: sip.listeners[2].protocol: must be one of "udp", "tcp", "tls", "ws", "wss" (got "tlsv2")`);
  });
});

test('serve with a missing --config file exits 1 naming it; a usage mistake exits 2', async () => {
  await withDir(async (dir) => {
    const missing = join(dir, 'nope.yaml');
    const result = await voiplab(['serve', '--config', missing, '--data', join(dir, 'data')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`${missing.replaceAll('/', '\\/')}: cannot read the config file`));
    assert.equal((await voiplab(['serve', 'extra'])).code, 2);
  });
});

test('serve refuses a short VOIPLAB_ADMIN_TOKEN with exit 1', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'voiplab.yaml');
    await writeFile(file, LOOPBACK_CONFIG);
    const result = await voiplab(['serve', '--config', file, '--data', join(dir, 'data')], { ...process.env, VOIPLAB_ADMIN_TOKEN: 'short' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /VOIPLAB_ADMIN_TOKEN: must be at least 16 characters/);
  });
});

interface Serving {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  exit: Promise<number | null>;
}

async function startServe(args: string[], env: NodeJS.ProcessEnv): Promise<Serving> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const stderr: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter((l) => l !== '')));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  for (let i = 0; i < 300 && !lines.some((l) => l.startsWith('HTTP http://')); i++) {
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  return { child, lines, stderr, exit };
}

function portOf(lines: string[], prefix: string): number {
  const line = lines.find((l) => l.startsWith(prefix));
  const port = Number(/:(\d+)\/?$/.exec(line ?? '')?.[1]);
  assert.ok(port > 0, `no "${prefix}" line in:\n${lines.join('\n')}`);
  return port;
}

test('serve prints every listening address, follows account changes, and closes on SIGTERM', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'voiplab.yaml');
    await writeFile(file, LOOPBACK_CONFIG);
    const serving = await startServe(['--config', file, '--data', join(dir, 'data')], { ...process.env, VOIPLAB_ADMIN_TOKEN: TOKEN });
    try {
      const { lines } = serving;
      for (const protocol of ['udp', 'tcp', 'tls', 'ws', 'wss']) portOf(lines, `SIP ${protocol} 127.0.0.1:`);
      portOf(lines, 'HTTPS https://127.0.0.1:');
      const http = portOf(lines, 'HTTP http://127.0.0.1:');
      assert.ok(lines.some((l) => l.startsWith('Generated a self-signed certificate:')));
      assert.ok(!lines.some((l) => l.includes(TOKEN)), 'the env token is not printed');
      // Something accepts on the TCP SIP port.
      const socket = connect(portOf(lines, 'SIP tcp 127.0.0.1:'), '127.0.0.1');
      await once(socket, 'connect');
      socket.destroy();

      const added = await voiplab(['account', 'add', '2001', '--password', 'second-password', '--config', file]);
      assert.equal(added.code, 0, added.stderr);
      let body = '';
      for (let i = 0; i < 100 && !body.includes('"2001"'); i++) {
        await sleep(50);
        const response = await fetch(`http://127.0.0.1:${http}/api/v1/accounts`, { headers: { authorization: `Bearer ${TOKEN}` } });
        body = await response.text();
      }
      assert.ok(body.includes('"2001"'), `the running server did not pick up account 2001: ${body}`);
      assert.doesNotMatch(await readFile(file, 'utf8'), /password/);

      serving.child.kill('SIGTERM');
      assert.equal(await serving.exit, 0, serving.stderr.join(''));
    } finally {
      serving.child.kill('SIGKILL');
    }
  });
});

test('serve --data without --config serves <data>/voiplab.yaml (written on first run) and closes on SIGINT', async () => {
  await withDir(async (dir) => {
    const data = join(dir, 'data');
    // The default file listens on the standard ports, which other tests or services may hold:
    // write it first, then move every port to 0 and serve it from the data folder.
    const first = await voiplab(['account', 'list', '--data', data]);
    assert.match(first.stdout, /account 1001 {2}password \S{12,}/);
    const file = join(data, 'voiplab.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/port: \d+/g, 'port: 0').replace(/0\.0\.0\.0/g, '127.0.0.1'));
    const env = { ...process.env };
    delete env['VOIPLAB_ADMIN_TOKEN'];
    const serving = await startServe(['--data', data], env);
    try {
      assert.ok(!serving.lines.some((l) => /password|Admin token/.test(l)), 'secrets are printed only on the first run');
      portOf(serving.lines, 'SIP udp 127.0.0.1:');
      serving.child.kill('SIGINT');
      assert.equal(await serving.exit, 0, serving.stderr.join(''));
    } finally {
      serving.child.kill('SIGKILL');
    }
  });
});
