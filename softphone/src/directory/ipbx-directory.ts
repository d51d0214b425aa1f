// Contacts from the IPBX's directory (GET /api/v1/directory next to /phone/), read with the
// signed-in account's own credentials over HTTP Digest. Only on voiplab: elsewhere (a static copy
// next to another PBX) there is no such route and the app shows no Contacts.

import { answerableChallenges, digestAuthorization, parseDigestChallenges } from './http-digest.ts';

const FETCH_TIMEOUT_MS = 5000;
/** Relative to the page (/phone/), so it follows whatever host and port served it. */
const DIRECTORY_PATH = '../api/v1/directory';

export interface Contact {
  extension: string;
  displayName: string;
  registered: boolean;
}

export interface DirectoryCredentials {
  /** Digest user: the authentication user, else the extension. */
  username: string;
  password: string;
  md5: (text: string) => string;
}

/** The directory, or undefined when this server has none or refuses these credentials. */
export async function fetchDirectory(credentials: DirectoryCredentials, pageUrl: string): Promise<Contact[] | undefined> {
  const url = new URL(DIRECTORY_PATH, pageUrl);
  // credentials 'omit': a 401 with a Digest challenge must not make the browser prompt for a password.
  const get = (authorization?: string) => fetch(url, {
    credentials: 'omit', cache: 'no-store', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    headers: authorization === undefined ? {} : { authorization },
  });
  let response = await get();
  if (response.status === 401) {
    // One try per algorithm offered: an account stored with MD5 hashes only fails SHA-256.
    for (const challenge of answerableChallenges(parseDigestChallenges(response.headers.get('www-authenticate') ?? ''))) {
      const authorization = await digestAuthorization({ challenge, username: credentials.username, password: credentials.password, method: 'GET', uri: url.pathname + url.search, md5: credentials.md5 });
      response = await get(authorization);
      if (response.status !== 401) break;
    }
  }
  if (!response.ok) return undefined;
  const body = await response.json() as { items?: unknown };
  if (!Array.isArray(body.items)) return undefined;
  return body.items.filter((item): item is Contact => typeof item === 'object' && item !== null
    && typeof (item as Contact).extension === 'string' && typeof (item as Contact).displayName === 'string');
}
