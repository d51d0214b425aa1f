// TLS material: a self-signed pair generated once into <data>/tls/ (key 0600) and reused; the
// configured files read and checked, with errors naming the file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { ConfigError, loadTlsMaterial, parseConfigText, type VoiplabConfig } from '../../ipbx/config/index.ts';

const configWith = (tls: string): VoiplabConfig => parseConfigText(`domain: lab.example
sip:
  listeners: [{ protocol: udp, address: 127.0.0.1, port: 0 }]
${tls}
`, 'lab.yaml').config;

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'voiplab-tls-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('without certFile/keyFile a self-signed certificate is generated: SANs, 825 days, key 0600', async () => {
  await withTemp(async (dir) => {
    const tls = await loadTlsMaterial({ config: configWith(''), configFile: join(dir, 'voiplab.yaml'), dataDir: dir });
    assert.equal(tls.generated, true);
    assert.equal(tls.certFile, join(dir, 'tls', 'cert.pem'));
    assert.equal((await stat(tls.keyFile)).mode & 0o777, 0o600);
    const x509 = new X509Certificate(tls.cert);
    const san = x509.subjectAltName ?? '';
    for (const name of ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', `DNS:${hostname()}`]) assert.ok(san.includes(name), `${name} missing from ${san}`);
    const days = (Date.parse(x509.validTo) - Date.parse(x509.validFrom)) / 86_400_000;
    assert.ok(Math.abs(days - 825) < 1, `valid ${days} days`);
    assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });
});

test('the generated pair is reused on the next run', async () => {
  await withTemp(async (dir) => {
    const options = { config: configWith(''), configFile: join(dir, 'voiplab.yaml'), dataDir: dir };
    const first = await loadTlsMaterial(options);
    const second = await loadTlsMaterial(options);
    assert.equal(second.generated, false);
    assert.equal(second.cert, first.cert);
    assert.equal(second.key, first.key);
  });
});

test('the generated pair serves a TLS handshake for localhost', async () => {
  await withTemp(async (dir) => {
    const { cert, key } = await loadTlsMaterial({ config: configWith(''), configFile: join(dir, 'voiplab.yaml'), dataDir: dir });
    const server = createServer({ cert, key }, (socket) => socket.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const socket = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'localhost', ca: cert });
      const [data] = await once(socket, 'data') as [Buffer];
      assert.equal(data.toString(), 'ok');
      socket.destroy();
    } finally {
      server.close();
    }
  });
});

test('configured files are read relative to the config file', async () => {
  await withTemp(async (dir) => {
    const made = await loadTlsMaterial({ config: configWith(''), configFile: join(dir, 'x.yaml'), dataDir: dir });
    const tls = await loadTlsMaterial({ config: configWith('tls: { certFile: tls/cert.pem, keyFile: tls/key.pem }'), configFile: join(dir, 'voiplab.yaml'), dataDir: join(dir, 'other') });
    assert.equal(tls.generated, false);
    assert.equal(tls.cert, made.cert);
  });
});

test('a missing, non-PEM or mismatched configured file is IPBX_TLS_UNREADABLE naming the file', async () => {
  await withTemp(async (dir) => {
    const a = await loadTlsMaterial({ config: configWith(''), configFile: join(dir, 'x.yaml'), dataDir: join(dir, 'a') });
    const b = await loadTlsMaterial({ config: configWith(''), configFile: join(dir, 'x.yaml'), dataDir: join(dir, 'b') });
    await writeFile(join(dir, 'junk.pem'), 'not a certificate');
    const cases: Array<[string, string, string, string]> = [
      ['missing.pem', a.keyFile, join(dir, 'missing.pem'), 'tls.certFile'],
      [join(dir, 'junk.pem'), a.keyFile, join(dir, 'junk.pem'), 'tls.certFile'],
      [a.certFile, join(dir, 'junk.pem'), join(dir, 'junk.pem'), 'tls.keyFile'],
      [a.certFile, b.keyFile, b.keyFile, 'tls.keyFile'],
    ];
    for (const [cert, key, file, field] of cases) {
      const config = configWith(`tls: { certFile: ${JSON.stringify(cert)}, keyFile: ${JSON.stringify(key)} }`);
      await assert.rejects(loadTlsMaterial({ config, configFile: join(dir, 'voiplab.yaml'), dataDir: dir }), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.code, 'IPBX_TLS_UNREADABLE');
        assert.deepEqual([err.issues[0]?.file, err.field], [file, field]);
        return true;
      });
    }
  });
});
