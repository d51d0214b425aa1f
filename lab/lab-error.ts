// Errors of lab provisioning (the lab file, the Proxmox and XiVO clients, the commands). Every
// message says what went wrong and what to do about it; each code has a row in docs/errors.md.

import { CodedError, type CodedErrorOptions } from '../ipbx/sip/coded-error.ts';
import { formatIssue, type ConfigIssue } from '../ipbx/config/config-errors.ts';

export const LAB_ERROR_CODES = {
  LAB_FILE_INVALID: 'The lab file breaks its schema or a consistency rule; each issue names the file, line, column and field.',
  LAB_FILE_UNREADABLE: 'The lab file cannot be read (missing, permissions).',
  LAB_SECRET_MISSING: 'An environment variable the lab file names for a secret (API token, passwords) is not set or empty.',
  LAB_BAD_OPTION: 'A client or command option is missing or out of range; the message names it.',
  LAB_TLS_UNTRUSTED: 'The server certificate does not match the pinned SHA-256 fingerprint or is not signed by the configured CA.',
  LAB_UNREACHABLE: 'A server (Proxmox or XiVO) refused the connection or did not answer in time.',
  LAB_BAD_RESPONSE: 'A server answered with something that is not the documented shape (not JSON, missing fields).',
  LAB_PROXMOX_AUTH_FAILED: 'Proxmox refused the API token or the user/password (HTTP 401).',
  LAB_PROXMOX_PERMISSION: 'The API token (or user) lacks a privilege on a path (HTTP 403); the message names the privilege and path to grant.',
  LAB_PROXMOX_API: 'Proxmox refused a call (HTTP 4xx/5xx) for another reason; its message is quoted.',
  LAB_TEMPLATE_MISSING: 'The template VM to clone does not exist on the node, or is not a template.',
  LAB_STORAGE_FULL: 'A clone or snapshot failed because the target storage has no space left.',
  LAB_TASK_FAILED: 'A Proxmox task (UPID) stopped with an exit status other than OK; its status text is quoted.',
  LAB_TASK_TIMEOUT: 'A Proxmox task did not finish within its time limit.',
  LAB_GUEST_AGENT_DOWN: 'The QEMU guest agent of a VM did not answer within the time limit (not installed, not started, or agent option off).',
  LAB_INSTALL_FAILED: 'The XiVO installer run in a cloud-image VM through the guest agent exited non-zero (the tail of its output is quoted) or overran source.installer.timeoutSeconds; the next up runs it again.',
  LAB_GUEST_NO_IP: 'The guest agent reported no IPv4 address other than loopback within the time limit.',
  LAB_VMID_TAKEN: 'The VMID a group should use belongs to a VM that this lab did not create; voiplab never touches it.',
  LAB_NO_SNAPSHOT: 'reset needs the clean snapshot taken by up, and the VM has none.',
  LAB_NOT_CONFIRMED: 'down destroys VMs and needs --yes.',
  LAB_XIVO_UNREACHABLE: 'XiVO (confd or xivo-auth) did not answer within the time limit.',
  LAB_XIVO_AUTH_FAILED: 'xivo-auth refused the admin credentials (HTTP 401), or confd refused the token.',
  LAB_XIVO_API: 'XiVO confd or xivo-auth refused a call; its error messages are quoted.',
  LAB_XIVO_UNSUPPORTED: 'The lab asks for something this XiVO flavour has no API for (queues on XiVO 16.15).',
  LAB_GROUP_FAILED: 'One or more groups failed to converge; each group\'s error is printed above and a rerun resumes.',
  LAB_SMOKE_SCENARIO: 'The smoke scenario the lab file names cannot be read or breaks the scenario format; its issues are quoted.',
  LAB_SMOKE_FAILED: 'Every group converged, but the smoke scenario failed against one or more of them; the failing step is printed per group.',
} as const;

export type LabErrorCode = keyof typeof LAB_ERROR_CODES;

export class LabError extends CodedError<LabErrorCode> {
  override readonly name: string = 'LabError';
}

/** A lab file problem list: every issue at once, as `file:line:column: field: message`. */
export class LabFileError extends LabError {
  override readonly name = 'LabFileError';
  readonly issues: ConfigIssue[];

  constructor(code: 'LAB_FILE_INVALID' | 'LAB_FILE_UNREADABLE', issues: ConfigIssue[], options?: CodedErrorOptions) {
    super(code, issues.length === 1 && issues[0] !== undefined ? formatIssue(issues[0]) : `${issues.length} problems:\n${issues.map(formatIssue).join('\n')}`, options);
    this.issues = issues;
  }
}
