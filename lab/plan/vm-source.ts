// Where a group's XiVO VM comes from, read once from the lab file: a template to clone, or a Debian
// cloud image imported into a new VM, with XiVO's installer then run in it through the guest agent.

import type { LabFile } from '../lab-file/lab-schema.ts';

export interface TemplateRef {
  kind?: 'template';
  vmid: number;
  node: string;
  full: boolean;
}

export interface InstallerRef {
  /** XiVO's xivo_install.sh, run with `-a version`; or… */
  url?: string;
  /** …a shell script of the trainer's, with XIVO_VERSION set. */
  script?: string;
  version: string;
  timeoutMs: number;
}

export interface CloudImageRef {
  kind: 'cloud-image';
  /** `local:import/debian-12-genericcloud-amd64.qcow2`, or an absolute path on the node. */
  image: string;
  storage: string;
  diskGiB: number;
  user: string;
  sshKeys: string[];
  vendorSnippet?: string;
  installer: InstallerRef;
}

export type VmSource = TemplateRef | CloudImageRef;

export function isCloudImage(source: VmSource): source is CloudImageRef {
  return source.kind === 'cloud-image';
}

/** The lab file's source; its consistency rules guarantee template, or cloudImage with installer. */
export function vmSourceOf(lab: LabFile): VmSource {
  const { template, cloudImage, installer } = lab.source;
  if (template !== undefined || cloudImage === undefined || installer === undefined) {
    if (template === undefined) throw new Error('lab file source without template or cloudImage and installer (the file checks should have refused it)');
    return { kind: 'template', vmid: template.vmid, node: template.node, full: template.clone === 'full' };
  }
  return {
    kind: 'cloud-image',
    image: cloudImage.image,
    // The semantic checks ensure one of the two is set.
    storage: cloudImage.storage ?? lab.proxmox.storage ?? '',
    diskGiB: cloudImage.diskGiB ?? 20,
    user: cloudImage.user ?? 'debian',
    sshKeys: cloudImage.sshKeys ?? [],
    ...(cloudImage.vendorSnippet === undefined ? {} : { vendorSnippet: cloudImage.vendorSnippet }),
    installer: {
      ...(installer.url === undefined ? {} : { url: installer.url }),
      ...(installer.script === undefined ? {} : { script: installer.script }),
      version: installer.version,
      timeoutMs: (installer.timeoutSeconds ?? 3600) * 1000,
    },
  };
}

/** The template's VMID, when VMs are cloned from one (observation looks it up). */
export function templateVmidOf(source: VmSource): number | undefined {
  return isCloudImage(source) ? undefined : source.vmid;
}
