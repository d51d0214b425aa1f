// MD5 for HTTP Digest (the IPBX's directory, when the accounts' HA1 are MD5 only): WebCrypto has
// no MD5, and sip.js carries one for SIP digest, so the app reuses it rather than shipping two.

import { Md5 } from 'sip.js/lib/core/messages/md5.js';

/** Hex MD5 of the UTF-8 bytes of `text`. */
export function md5Hex(text: string): string {
  return Md5.hashStr(text);
}
