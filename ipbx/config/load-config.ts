// Reads voiplab.yaml: YAML with source positions kept (a LineCounter), then validation; every
// problem comes back at once as a ConfigError whose issues read `file:line:column: field: message`.

import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { VoiplabConfig } from './config-schema.ts';
import { ConfigError, configError, type ConfigIssue } from './config-errors.ts';
import { validateConfigData } from './validate-config.ts';
import { yamlLocator } from './yaml-locate.ts';

export interface LoadedConfig {
  file: string;
  /** Validated, defaults applied, passwords already turned into HA1 hashes. */
  config: VoiplabConfig;
  /** The parsed document, comments and order kept, for writing changes back. */
  document: Document;
  /** Positions of `document`'s nodes in `text`; also valid for unchanged nodes of a clone. */
  lineCounter: LineCounter;
  text: string;
}

export function parseConfigText(text: string, file: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const issues: ConfigIssue[] = document.errors.map((e) => {
      const pos = e.linePos?.[0];
      // prettyErrors appends "at line L, column C:" and a source excerpt; the position is ours to print.
      const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      return { file, line: pos?.line ?? 0, column: pos?.col ?? 0, field: '', message };
    });
    throw new ConfigError('IPBX_CONFIG_INVALID', issues);
  }
  if (document.contents === null) {
    throw new ConfigError('IPBX_CONFIG_INVALID', [{ file, line: 1, column: 1, field: '', message: 'the file is empty; a config needs at least domain and sip.listeners' }]);
  }
  const locate = yamlLocator(document, lineCounter);
  const result = validateConfigData(document.toJS(), file, locate);
  if (!result.ok) throw new ConfigError('IPBX_CONFIG_INVALID', result.issues);
  return { file, config: result.config, document, lineCounter, text };
}

export async function loadConfig(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw configError('IPBX_CONFIG_UNREADABLE', file, '', `cannot read the config file: ${(err as Error).message}`, { cause: err });
  }
  return parseConfigText(text, file);
}
