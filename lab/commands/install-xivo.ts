// Installs XiVO in a VM made from a cloud image, through the QEMU guest agent: wait for the agent
// (a cloud image without qemu-guest-agent never answers: say so), skip when the guest already
// carries the marker of a finished install, else run the installer (XiVO's xivo_install.sh, or
// the trainer's script) with agent exec and poll exec-status until it exits, within the
// installer's time limit. A non-zero exit is an error quoting the tail of its output; the marker
// is written only after success, so the next `up` runs the installer again.

import { LabError } from '../lab-error.ts';
import type { InstallerRef } from '../plan/vm-source.ts';
import { execInGuest, waitForAgent, type AgentWait, type ProxmoxClient, type VmRef } from '../proxmox/index.ts';

/** Written in the guest when the installer succeeded (holds the version). */
export const INSTALL_MARKER = '/var/lib/voiplab/xivo-installed';

/** `$0` of the wrapper; the fake Proxmox recognises the installer by it. */
export const INSTALLER_NAME = 'voiplab-xivo-install';

// Arguments, not interpolation, carry the URL, script and version: nothing to quote.
const WRAPPER = [
  'set -eu',
  'export DEBIAN_FRONTEND=noninteractive XIVO_VERSION="$3"',
  // cloud-init may still be running apt when the agent first answers.
  'if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null 2>&1 || true; fi',
  'mkdir -p /var/lib/voiplab && cd /root',
  'case "$1" in',
  '  url) if command -v curl >/dev/null 2>&1; then curl -fsSL "$2" -o xivo_install.sh; else wget -q -O xivo_install.sh "$2"; fi',
  '       bash xivo_install.sh -a "$3" ;;',
  '  script) printf \'%s\\n\' "$2" > voiplab-xivo-install.sh && bash voiplab-xivo-install.sh ;;',
  'esac',
  `printf '%s\\n' "$3" > ${INSTALL_MARKER}`,
].join('\n');

export function installerCommand(installer: InstallerRef): string[] {
  const [kind, value] = installer.url !== undefined ? ['url', installer.url] : ['script', installer.script ?? ''];
  return ['/bin/bash', '-c', WRAPPER, INSTALLER_NAME, kind, value, installer.version];
}

export interface InstallWaits {
  agent: AgentWait;
  /** Poll interval and clock for exec-status; the limit is the installer's. */
  poll: AgentWait;
}

/** Returns what happened, for the progress line. */
export async function installXivo(client: ProxmoxClient, ref: VmRef, installer: InstallerRef, image: string, waits: InstallWaits): Promise<'installed' | 'already installed'> {
  try {
    await waitForAgent(client, ref, waits.agent);
  } catch (err) {
    if (err instanceof LabError && err.code === 'LAB_GUEST_AGENT_DOWN') {
      throw new LabError('LAB_GUEST_AGENT_DOWN', `VM ${ref.vmid}: guest agent not running: install qemu-guest-agent in the image ${image} (virt-customize -a IMAGE --install qemu-guest-agent, or a cloud-init vendor snippet in source.cloudImage.vendorSnippet that installs and starts it); no answer within ${Math.round(waits.agent.timeoutMs / 1000)} s. Rerun up once fixed: the VM is kept and the install resumes`, { cause: err });
    }
    throw err;
  }
  const check = await execInGuest(client, ref, ['test', '-e', INSTALL_MARKER], waits.poll);
  if (check.exitcode === 0) return 'already installed';
  const wait: AgentWait = { ...waits.poll, timeoutMs: installer.timeoutMs };
  let result;
  try {
    result = await execInGuest(client, ref, installerCommand(installer), wait);
  } catch (err) {
    if (err instanceof LabError && err.code === 'LAB_TASK_TIMEOUT') {
      throw new LabError('LAB_INSTALL_FAILED', `VM ${ref.vmid}: the XiVO installer was still running after ${Math.round(installer.timeoutMs / 1000)} s (source.installer.timeoutSeconds); look at the VM console, raise the limit if the mirror is slow, and rerun up (the installer runs again)`, { cause: err });
    }
    throw err;
  }
  if (result.exitcode !== 0) {
    const tail = [outputTail('stdout', result.stdout), outputTail('stderr', result.stderr)].filter((t) => t !== '').join('; ');
    throw new LabError('LAB_INSTALL_FAILED', `VM ${ref.vmid}: the XiVO installer ${installer.version} exited with code ${result.exitcode}${tail === '' ? ' and no output' : `: ${tail}`}; fix the cause (mirror, version, disk space) and rerun up: the installer runs again`);
  }
  return 'installed';
}

/** The last lines of an output, on one line, for an error message. */
export function outputTail(label: string, text: string, lines = 8): string {
  const kept = text.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '').slice(-lines);
  return kept.length === 0 ? '' : `${label} ends: ${kept.join(' | ')}`;
}
