// Via header values (RFC 3261 §20.42, §18.2.1; RFC 3581 rport).

import { formatHeaderParams, parseHeaderParams, type HeaderParams } from './header-params.ts';
import { SipParseError } from './sip-parse-error.ts';
import { parseHostPort } from './uri.ts';

/** RFC 3261 §8.1.1.7: branches of RFC 3261 elements start with this cookie. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

export class Via {
  /** Upper case: UDP, TCP, TLS, WS, WSS, SCTP or any other token. */
  transport: string;
  host: string;
  port: number | undefined;
  params: HeaderParams;

  constructor(transport: string, host: string, port: number | undefined, params: HeaderParams = new Map()) {
    this.transport = transport.toUpperCase();
    this.host = host;
    this.port = port;
    this.params = params;
  }

  get branch(): string | undefined {
    return this.params.get('branch') ?? undefined;
  }

  /** True when the branch identifies the transaction on its own (RFC 3261 §17.2.3). */
  get hasRfc3261Branch(): boolean {
    const b = this.branch;
    return b !== undefined && b.length > BRANCH_MAGIC_COOKIE.length && b.startsWith(BRANCH_MAGIC_COOKIE);
  }

  get received(): string | undefined {
    return this.params.get('received') ?? undefined;
  }

  /** `true` when `;rport` was sent without a value (asking for it), the number once filled in. */
  get rport(): number | true | undefined {
    if (!this.params.has('rport')) return undefined;
    const v = this.params.get('rport');
    return v === null || v === undefined ? true : Number(v);
  }

  get sentBy(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }

  clone(): Via {
    return new Via(this.transport, this.host, this.port, new Map(this.params));
  }

  toString(): string {
    return `SIP/2.0/${this.transport} ${this.sentBy}${formatHeaderParams(this.params)}`;
  }
}

// Linear: the sent-by is everything up to the first `;`, trimmed afterwards. (A lazy sent-by
// followed by `[ \t]*` backtracked quadratically on long runs of blanks.)
const VIA_RE = /^SIP[ \t]*\/[ \t]*2\.0[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+([^;]*)(;[\s\S]*)?$/i;

export function parseVia(text: string): Via {
  const m = VIA_RE.exec(text.trim());
  if (m === null) throw new SipParseError('SIP_BAD_HEADER', `Via "${text}" is not "SIP/2.0/transport host[:port]"`);
  const [, transport = '', sentBy = '', paramText] = m;
  const { host, port } = parseHostPort(normalizeSentBy(sentBy), 'Via');
  const params = paramText === undefined ? new Map<string, string | null>() : parseHeaderParams(paramText, 'Via');
  return new Via(transport, host, port, params);
}

/** `host [ COLON port ]` where COLON = SWS ":" SWS (RFC 3261 §20.42, §25.1): blanks around `:` go. */
function normalizeSentBy(text: string): string {
  const close = text.startsWith('[') ? text.indexOf(']') : -1;
  const colon = text.indexOf(':', close + 1);
  return colon === -1 ? trimBlanks(text) : trimBlanks(text.slice(0, colon)) + ':' + trimBlanks(text.slice(colon + 1));
}

function trimBlanks(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s[a] === ' ' || s[a] === '\t')) a++;
  while (b > a && (s[b - 1] === ' ' || s[b - 1] === '\t')) b--;
  return s.slice(a, b);
}
