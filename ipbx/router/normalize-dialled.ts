// The dialled number as the dialplan sees it. Phones send `01.23.45.67.89`, `+33 (0)1 23…` or
// `%2B33…` for the same number; rules are written once, without separators. Names (`alice.smith`)
// are not telephone numbers and keep their dots and dashes.

// RFC 3966 §5.1.1 visual separators, plus the space some phones send escaped as %20.
const SEPARATORS_RE = /[-.() ]/g;
// A telephone-like user part: dial characters and separators only, with at least one digit.
// Two linear tests rather than one regex with two stars, which backtracks quadratically.
const TEL_CHARS_RE = /^[0-9*#+\-.() ]+$/;
const DIGIT_RE = /[0-9]/;
const ESCAPE_RUN_RE = /(?:%[0-9A-Fa-f]{2})+/g;

/**
 * Unescapes %HH once (a run of escapes is decoded as UTF-8; invalid escapes stay literal), then,
 * when the result looks like a telephone number, removes visual separators.
 * The SIP URI parser keeps user parts escaped, so this is the one place they are unescaped.
 */
export function normalizeDialled(uriUser: string): string {
  const unescaped = uriUser.indexOf('%') === -1 ? uriUser : uriUser.replace(ESCAPE_RUN_RE, decodeRun);
  return stripTelSeparators(unescaped);
}

/** Removes visual separators from a telephone-like string; any other string is returned as is. */
export function stripTelSeparators(s: string): string {
  return TEL_CHARS_RE.test(s) && DIGIT_RE.test(s) ? s.replace(SEPARATORS_RE, '') : s;
}

function decodeRun(run: string): string {
  // Characters are `%HH` triples: drop the `%`s and decode the bytes together so that a UTF-8
  // sequence split over several escapes becomes one character.
  return Buffer.from(run.replaceAll('%', ''), 'hex').toString('utf8');
}
