// Where the RFC 4475 torture kit is: the byte-exact archive members and their manifest, copied
// into test/fixtures/rfc4475 (from ../shared/rfc4475; SOURCES.md says where the bytes come from).
// RFC4475_DIR points the tests at another copy, e.g. a newer kit.

import { fileURLToPath } from 'node:url';

export const RFC4475_DIR: string = process.env['RFC4475_DIR'] ?? fileURLToPath(new URL('../fixtures/rfc4475/', import.meta.url));
