// Debian's Chromium for phones in a browser (the scenario runner's `browser` kind and the e2e
// tests): where it is, the flags that give it a fake microphone and loopback ICE, the certificate
// pin for a self-signed WSS server, and the small bounded-wait helpers their drivers share.

import { createHash, createPublicKey } from 'node:crypto';

export const CHROMIUM = process.env['VOIPLAB_CHROMIUM'] ?? '/usr/bin/chromium';

/** Chromium flags for phones: fake media devices, loopback ICE, audio without a click. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // Loopback ICE candidates are skipped by default; they are the only ones the page keeps.
  '--allow-loopback-in-peer-connection',
  // An AudioContext may run without a click.
  '--autoplay-policy=no-user-gesture-required',
];

/** Chromium's certificate pin: base64 SHA-256 of the certificate's SubjectPublicKeyInfo. */
export function spkiHash(pem: string): string {
  const spki = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** A traced SIP message without its body (SDP is long and rarely the point), indented. */
export function withoutBody(traced: string): string {
  const bodyAt = traced.indexOf('\r\n\r\n');
  return (bodyAt === -1 ? traced : traced.slice(0, bodyAt)).replace(/\r?\n/g, '\n  ');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
