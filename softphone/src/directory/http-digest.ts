// HTTP Digest (RFC 7616) from the browser, enough for the IPBX's directory: reads the challenges of
// a 401 and answers the first one whose algorithm the app can compute (SHA-256 with WebCrypto,
// MD5 with the function it is given), qop=auth. The password never leaves the page.

export type DigestHashName = 'SHA-256' | 'MD5';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: string;
  qop: string | undefined;
  opaque: string | undefined;
}

export interface DigestAnswerInput {
  challenge: DigestChallenge;
  username: string;
  password: string;
  method: string;
  /** The request target, path and query, as the server will see it. */
  uri: string;
  md5: (text: string) => string;
}

/** Every Digest challenge of one WWW-Authenticate header (fetch joins several with ", "). */
export function parseDigestChallenges(header: string): DigestChallenge[] {
  return header.split(/,?\s*(?=\bDigest\s)/i).flatMap((part) => {
    const match = /^Digest\s+(.*)$/is.exec(part.trim());
    if (match?.[1] === undefined) return [];
    const params = new Map<string, string>();
    for (const [, name, quoted, plain] of match[1].matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
      if (name !== undefined) params.set(name.toLowerCase(), quoted === undefined ? (plain ?? '') : quoted.replace(/\\(.)/g, '$1'));
    }
    const realm = params.get('realm');
    const nonce = params.get('nonce');
    if (realm === undefined || nonce === undefined) return [];
    return [{ realm, nonce, algorithm: (params.get('algorithm') ?? 'MD5').toUpperCase(), qop: params.get('qop'), opaque: params.get('opaque') }];
  });
}

/** The challenges this code can answer, in the server's order of preference. */
export function answerableChallenges(challenges: DigestChallenge[]): DigestChallenge[] {
  return challenges.filter((c) => (c.algorithm === 'SHA-256' || c.algorithm === 'MD5') && (c.qop === undefined || c.qop.split(',').map((q) => q.trim()).includes('auth')));
}

/** The Authorization value answering `challenge` (first use of its nonce: nc=00000001). */
export async function digestAuthorization(input: DigestAnswerInput): Promise<string> {
  const { challenge, username, password, method, uri } = input;
  const hash = (text: string): Promise<string> => (challenge.algorithm === 'MD5' ? Promise.resolve(input.md5(text)) : sha256Hex(text));
  const ha1 = await hash(`${username}:${challenge.realm}:${password}`);
  const ha2 = await hash(`${method}:${uri}`);
  const nc = '00000001';
  const cnonce = randomHex(12);
  const withQop = challenge.qop !== undefined;
  const response = await hash(withQop ? `${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}` : `${ha1}:${challenge.nonce}:${ha2}`);
  const quote = (value: string) => `"${value.replace(/(["\\])/g, '\\$1')}"`;
  return [
    `Digest username=${quote(username)}`, `realm=${quote(challenge.realm)}`, `nonce=${quote(challenge.nonce)}`, `uri=${quote(uri)}`,
    `algorithm=${challenge.algorithm}`, `response=${quote(response)}`,
    ...(withQop ? ['qop=auth', `nc=${nc}`, `cnonce=${quote(cnonce)}`] : []),
    ...(challenge.opaque === undefined ? [] : [`opaque=${quote(challenge.opaque)}`]),
  ].join(', ');
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
