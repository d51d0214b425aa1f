// First run: `voiplab serve` (or `voiplab account`) without --config uses <data>/voiplab.yaml and
// writes one when it is missing: a domain, every listener, three demo accounts with random
// passwords stored as HA1, a dialplan and a random admin token. The secrets are returned so the
// CLI prints them once; the file keeps hashes and the token only.

import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ha1Hashes } from './account-credentials.ts';
import { generatePassword, generateToken } from './secrets.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { parseConfigText } from './load-config.ts';

export const DEFAULT_DATA_DIR = './data';
export const CONFIG_FILE_NAME = 'voiplab.yaml';
export const DEFAULT_DOMAIN = 'voiplab.local';
const DEMO_EXTENSIONS = ['1001', '1002', '1003'];

export interface FirstRunSecrets {
  accounts: Array<{ extension: string; password: string }>;
  adminToken: string;
}

export interface ConfigLocation {
  file: string;
  /** Present when the file was just written: print these once, they are not stored anywhere. */
  created?: FirstRunSecrets;
}

/** The data folder holds keys, tokens and the store: owner only. */
export async function ensureDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
}

export function createFirstRunSecrets(): FirstRunSecrets {
  return { accounts: DEMO_EXTENSIONS.map((extension) => ({ extension, password: generatePassword() })), adminToken: generateToken() };
}

/** `<data>/voiplab.yaml`, written with fresh secrets when it does not exist yet. */
export async function ensureDefaultConfig(dataDir: string): Promise<ConfigLocation> {
  const file = join(dataDir, CONFIG_FILE_NAME);
  await ensureDataDir(dataDir);
  if (await exists(file)) return { file };
  const secrets = createFirstRunSecrets();
  const text = defaultConfigText(secrets);
  parseConfigText(text, file); // a template mistake fails here, not at the user's next start
  await writeFileAtomic(file, text, 0o600);
  return { file, created: secrets };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

const q = (s: string): string => JSON.stringify(s);

export function defaultConfigText(secrets: FirstRunSecrets, domain = DEFAULT_DOMAIN): string {
  const accounts = secrets.accounts.map(({ extension, password }) => {
    const ha1 = Object.entries(ha1Hashes(extension, domain, password)).map(([alg, hex]) => `      ${alg}: ${hex}`).join('\n');
    return `  - extension: ${q(extension)}\n    displayName: ${q(`Demo ${extension}`)}\n    ha1:\n${ha1}`;
  }).join('\n');
  return `# voiplab configuration, written on first run. The JSON Schema of this file is config.schema.json
# in the voiplab repository. voiplab rewrites this file when accounts, groups or the dialplan change
# through the API or \`voiplab account\`: comments and order are kept, passwords become ha1 hashes.
# A running \`voiplab serve\` reloads it when it changes; an invalid edit is reported and ignored.

# SIP domain: the host of every account's address (1001@${domain}) and the digest realm.
# The ha1 hashes below depend on it: after changing it, set new passwords.
domain: ${domain}

# SIP listeners. Desk phones use UDP/TCP 5060 or TLS 5061, browsers WSS 8089. Plain WS stays on
# the loopback for local tools (or a TLS-terminating reverse proxy). Behind 0.0.0.0, set
# advertisedAddress to the LAN address phones reach, e.g. advertisedAddress: 192.168.1.20
sip:
  listeners:
    - { protocol: udp, address: 0.0.0.0, port: 5060 }
    - { protocol: tcp, address: 0.0.0.0, port: 5060 }
    - { protocol: tls, address: 0.0.0.0, port: 5061 }
    - { protocol: wss, address: 0.0.0.0, port: 8089 }
    - { protocol: ws, address: 127.0.0.1, port: 8088 }

# HTTP API (/api/v1) and web pages (the softphone): HTTPS on the LAN, plain HTTP on the loopback.
http:
  listeners:
    - { protocol: https, address: 0.0.0.0, port: 8443 }
    - { protocol: http, address: 127.0.0.1, port: 8080 }

# TLS certificate and key (PEM) for TLS, WSS and HTTPS. Without them voiplab generates a
# self-signed pair in the data folder's tls/ and reuses it. Relative paths start at this file.
# tls:
#   certFile: /etc/voiplab/cert.pem
#   keyFile: /etc/voiplab/key.pem

# Accounts. extension is the SIP user name. Give a password by hand (password: ...) and voiplab
# stores it as ha1 hashes the next time it writes this file. Quote extensions: "1001", not 1001.
# Optional: enabled (true), transports ([udp, tcp, tls, ws, wss]), maxContacts (5), record (false),
# dtmfMode (rfc4733, or info for phones that send DTMF as SIP INFO).
# The demo passwords were printed once, on first run; set new ones with \`voiplab account add\`.
accounts:
${accounts}

# Ring groups, called by a dialplan action { type: group, group: NAME }.
# groups:
#   - name: support
#     strategy: simultaneous   # or in-turn
#     memberTimeout: 20
#     members: ["1001", "1002"]

# Call queues (docs/queues.md): callers wait with music on hold and announcements of their position
# while members ring by strategy (ringall, linear, leastrecent, fewestcalls, random, rrmemory).
# Static members are listed in members; any account (or those listed in agents) logs in with *31,
# out with *32, and pauses or resumes with *33. The live wallboard is at /wallboard/.
queues:
  - name: support
    strategy: rrmemory
    members: []
    memberTimeout: 15
    wrapUp: 5
    announce: { every: 30 }

# Dialplan: rules in order, the first that matches the dialled number wins. Exact numbers, or
# patterns starting with _: X any digit, N 2-9, Z 1-9, [1-5] a range, . one or more characters.
# Actions: account, group, queue { queue, priority? }, queue-agent { operation, queue? },
# announcement { prompt, next }, reject { code }, redirect { target }.
# record: true on a rule (or an account) records its calls (media mode rtpengine).
dialplan:
  - match: _1XXX
    description: an account by its extension
    action: { type: account }
  - match: "3000"
    description: the support queue
    action: { type: queue, queue: support }
  - match: "*31"
    description: queue agent log in (all queues the caller may join)
    action: { type: queue-agent, operation: login }
  - match: "*32"
    description: queue agent log out
    action: { type: queue-agent, operation: logout }
  - match: "*33"
    description: queue agent pause or resume
    action: { type: queue-agent, operation: toggle-pause }

# Security. adminToken is the Bearer token of the HTTP API; VOIPLAB_ADMIN_TOKEN overrides it.
# Authentication-failure bans, per-source rate limits and size limits are on by default; tune
# them here (ban, rateLimit, registration, limits). digestAlgorithms: the challenges offered, in
# order; MD5 alone suits every phone (baresip and SIPp stumble on SHA-256 challenges), add SHA-256
# after MD5 where every phone supports RFC 8760. The ha1 hashes above cover all three.
security:
  adminToken: ${q(secrets.adminToken)}
  digestAlgorithms: [ MD5 ]

# Media: rtpengine bridges every call's media (browsers' WebRTC <-> desk phones' RTP, transcoding,
# music on hold, announcements, recordings); voiplab starts it itself (Debian package
# rtpengine-daemon). passthrough relays SDP unchanged and RTP flows between the phones.
# rtpengine.address: where media flows (default: this machine's first LAN address); portMin/portMax:
# its RTP ports (open them in a firewall). prompts.language: en or fr.
media:
  mode: rtpengine
  rtpengine:
    portMin: 20000
    portMax: 29999
  prompts:
    language: en
  musicOnHold:
    enabled: true
  recording:
    retentionDays: 90
`;
}
