// name-addr / addr-spec values of From, To, Contact, Route, Record-Route, Refer-To (RFC 3261 §20, §25.1).
// With angle brackets, `;params` after `>` belong to the header; without them, everything after
// the first `;` does (so `Contact: sip:a@b;unknownparam` carries a contact parameter, RFC 4475 §3.3.13).

import { formatHeaderParams, parseHeaderParams, quoteString, readQuotedString, type HeaderParams } from './header-params.ts';
import { SipParseError } from './sip-parse-error.ts';
import { parseUri, type Uri } from './uri.ts';

export class NameAddr {
  displayName: string | undefined;
  uri: Uri;
  params: HeaderParams;

  constructor(uri: Uri, displayName?: string, params: HeaderParams = new Map()) {
    this.uri = uri;
    this.displayName = displayName;
    this.params = params;
  }

  get tag(): string | undefined {
    return this.params.get('tag') ?? undefined;
  }

  set tag(value: string | undefined) {
    if (value === undefined) this.params.delete('tag');
    else this.params.set('tag', value);
  }

  clone(): NameAddr {
    const uri = 'clone' in this.uri ? this.uri.clone() : this.uri;
    return new NameAddr(uri, this.displayName, new Map(this.params));
  }

  toString(): string {
    const name = this.displayName === undefined || this.displayName === '' ? '' : quoteString(this.displayName) + ' ';
    return `${name}<${this.uri.toString()}>${formatHeaderParams(this.params)}`;
  }
}

// Module constants: a regexp literal in a function body is a new object on every evaluation.
const WS_RE = /\s/;
const WS_QUERY_COMMA_RE = /[\s?,]/;

function bad(reason: string): never {
  throw new SipParseError('SIP_BAD_HEADER', reason);
}

/** Parses one value; `context` names the header for error messages. */
export function parseNameAddr(text: string, context: string): NameAddr {
  const s = text.trim();
  let displayName: string | undefined;
  let i = 0;
  if (s.startsWith('"')) {
    const q = readQuotedString(s, 0, context);
    displayName = q.value;
    i = q.end;
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] !== '<') bad(`${context}: expected "<" after the display name`);
  }
  const lt = s.indexOf('<', i);
  if (lt !== -1) {
    if (displayName === undefined) {
      // Unquoted display names: RFC 3261 wants tokens; non-token text (RFC 4475 §3.1.2.16) is
      // accepted as written, which is what a person meant and cannot be mistaken for a URI.
      const name = s.slice(0, lt).trim();
      if (name.includes('"')) bad(`${context}: unbalanced quote in display name`);
      if (name !== '') displayName = name;
    }
    const gt = s.indexOf('>', lt);
    if (gt === -1) bad(`${context}: "<" without ">"`);
    const uriText = s.slice(lt + 1, gt);
    if (WS_RE.test(uriText)) bad(`${context}: white space inside <${uriText}>`);
    const uri = parseUri(uriText);
    const rest = s.slice(gt + 1);
    return new NameAddr(uri, displayName, rest.trim() === '' ? new Map<string, string | null>() : parseHeaderParams(rest, context));
  }
  // addr-spec: no display name, no brackets; URIs with `,` `?` `;` must be bracketed (§20).
  if (s.includes('"')) bad(`${context}: unbalanced quote`);
  const semi = s.indexOf(';');
  const uriText = (semi === -1 ? s : s.slice(0, semi)).trim();
  if (uriText === '') bad(`${context}: empty address`);
  if (WS_QUERY_COMMA_RE.test(uriText)) bad(`${context}: a URI with "?", "," or spaces must be in angle brackets`);
  const uri = parseUri(uriText);
  return new NameAddr(uri, undefined, semi === -1 ? new Map<string, string | null>() : parseHeaderParams(s.slice(semi), context));
}
