// Consistency rules the schema cannot express: unique names, references that must exist,
// credentials that cover the challenged algorithms, listeners that would fight over a socket.

import { isSipUri, parseUri } from '../sip/index.ts';
import type { VoiplabConfig } from './config-schema.ts';
import { fieldName } from './config-path.ts';
import type { PathIssue } from './path-issue.ts';

export function checkSemantics(config: VoiplabConfig): PathIssue[] {
  return [...checkAccounts(config), ...checkGroups(config), ...checkQueues(config), ...checkDialplan(config), ...checkListeners(config), ...checkMisc(config)];
}

function checkAccounts(config: VoiplabConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  const seen = new Map<string, number>();
  for (const [i, account] of config.accounts.entries()) {
    const first = seen.get(account.extension);
    if (first !== undefined) issues.push({ path: ['accounts', i, 'extension'], message: `duplicate extension ${account.extension} (also accounts[${first}])` });
    else seen.set(account.extension, i);
    if (account.password !== undefined && account.ha1 !== undefined) {
      issues.push({ path: ['accounts', i, 'ha1'], pointAt: 'key', message: 'give either password or ha1, not both' });
    } else if (account.password === undefined && account.ha1 === undefined) {
      issues.push({ path: ['accounts', i, 'password'], at: ['accounts', i], message: 'is required (or ha1 hashes)' });
    } else if (account.ha1 !== undefined) {
      for (const algorithm of config.security.digestAlgorithms) {
        if (account.ha1[algorithm] === undefined) {
          issues.push({ path: ['accounts', i, 'ha1', algorithm], at: ['accounts', i, 'ha1'], message: `is required: security.digestAlgorithms challenges with ${algorithm}` });
        }
      }
    }
  }
  return issues;
}

function isSipUriText(text: string): boolean {
  try {
    return isSipUri(parseUri(text));
  } catch {
    return false;
  }
}

function checkGroups(config: VoiplabConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  const extensions = new Set(config.accounts.map((a) => a.extension));
  const seen = new Set<string>();
  for (const [i, group] of config.groups.entries()) {
    if (seen.has(group.name)) issues.push({ path: ['groups', i, 'name'], message: `duplicate group name ${group.name}` });
    seen.add(group.name);
    const members = new Set<string>();
    for (const [j, member] of group.members.entries()) {
      if (members.has(member)) issues.push({ path: ['groups', i, 'members', j], message: `${member} is listed twice` });
      members.add(member);
      if (!extensions.has(member) && !isSipUriText(member)) {
        issues.push({ path: ['groups', i, 'members', j], message: `${member} is neither an account's extension nor a SIP URI (sip:user@host)` });
      }
    }
  }
  return issues;
}

function checkQueues(config: VoiplabConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  const extensions = new Set(config.accounts.map((a) => a.extension));
  const seen = new Set<string>();
  for (const [i, queue] of config.queues.entries()) {
    if (seen.has(queue.name)) issues.push({ path: ['queues', i, 'name'], message: `duplicate queue name ${queue.name}` });
    seen.add(queue.name);
    for (const list of ['members', 'agents'] as const) {
      for (const [j, member] of (queue[list] ?? []).entries()) {
        if (!extensions.has(member)) issues.push({ path: ['queues', i, list, j], message: `no account has extension ${member}` });
      }
    }
  }
  return issues;
}

function checkDialplan(config: VoiplabConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  const extensions = new Set(config.accounts.map((a) => a.extension));
  const groups = new Set(config.groups.map((g) => g.name));
  const queues = new Set(config.queues.map((q) => q.name));
  for (const [i, rule] of config.dialplan.entries()) {
    const action = rule.action;
    if (action.type === 'group' && !groups.has(action.group)) {
      issues.push({ path: ['dialplan', i, 'action', 'group'], message: `no group is named ${action.group}` });
    }
    if ((action.type === 'queue' || action.type === 'queue-agent') && action.queue !== undefined && !queues.has(action.queue)) {
      issues.push({ path: ['dialplan', i, 'action', 'queue'], message: `no queue is named ${action.queue}` });
    }
    if (action.type === 'account' && action.extension !== undefined && !extensions.has(action.extension)) {
      issues.push({ path: ['dialplan', i, 'action', 'extension'], message: `no account has extension ${action.extension}` });
    }
  }
  return issues;
}

interface Socket {
  path: (string | number)[];
  kind: 'udp' | 'tcp';
  protocol: string;
  address: string;
  port: number;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** Two listeners clash when they would bind the same UDP or TCP port on overlapping addresses. */
function checkListeners(config: VoiplabConfig): PathIssue[] {
  const sockets: Socket[] = [
    ...config.sip.listeners.map((l, i) => ({ path: ['sip', 'listeners', i], kind: l.protocol === 'udp' ? 'udp' as const : 'tcp' as const, protocol: l.protocol, address: l.address, port: l.port })),
    ...config.http.listeners.map((l, i) => ({ path: ['http', 'listeners', i], kind: 'tcp' as const, protocol: l.protocol, address: l.address, port: l.port })),
  ];
  const issues: PathIssue[] = [];
  for (const [i, s] of sockets.entries()) {
    // Port 0 asks the OS for a free port each time, so it never clashes.
    const clash = sockets.slice(0, i).find((o) => s.port !== 0 && o.kind === s.kind && o.port === s.port
      && (o.address === s.address || WILDCARDS.has(o.address) || WILDCARDS.has(s.address)));
    if (clash !== undefined) {
      issues.push({ path: [...s.path, 'port'], message: `${s.protocol} ${s.address}:${s.port} needs the ${s.kind.toUpperCase()} port ${s.port} that ${fieldName(clash.path)} (${clash.protocol} ${clash.address}:${clash.port}) already uses` });
    }
  }
  return issues;
}

function checkMisc(config: VoiplabConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  const { certFile, keyFile } = config.tls;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const missing = certFile === undefined ? 'certFile' : 'keyFile';
    issues.push({ path: ['tls', missing], at: ['tls'], message: 'is required when the other of certFile/keyFile is set' });
  }
  const { minExpires, defaultExpires, maxExpires } = config.security.registration;
  if (!(minExpires <= defaultExpires && defaultExpires <= maxExpires)) {
    issues.push({ path: ['security', 'registration'], message: `needs minExpires (${minExpires}) ≤ defaultExpires (${defaultExpires}) ≤ maxExpires (${maxExpires})` });
  }
  return issues;
}
