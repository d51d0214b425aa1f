// A path into the config data (`['accounts', 2, 'extension']`), how it reads in messages
// (`accounts[2].extension`), and how ajv's JSON Pointers turn into one.

export type ConfigPath = ReadonlyArray<string | number>;

export function fieldName(path: ConfigPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

/** RFC 6901 pointer to path; all-digit segments are array indexes (config keys are never numeric). */
export function pointerToPath(pointer: string): ConfigPath {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((raw) => {
    const seg = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    return /^\d+$/.test(seg) ? Number(seg) : seg;
  });
}
