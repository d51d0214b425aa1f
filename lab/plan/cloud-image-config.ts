// The parameters of POST /nodes/{node}/qemu for a VM made from a cloud image: the lab's usual
// options (network with the group's VLAN, cloud-init address, size, agent, tags, marker) plus the
// image imported as the boot disk, a cloud-init drive with its user and SSH keys, and a serial
// console (cloud images log there).

import type { DesiredGroup } from './desired-state.ts';
import { desiredVmConfig, IMAGE_DISK } from './plan-vm.ts';
import type { CloudImageRef } from './vm-source.ts';

export function cloudImageVmParams(desired: DesiredGroup, image: CloudImageRef): Record<string, string | number> {
  const params: Record<string, string | number> = {
    ...desiredVmConfig(desired, undefined),
    name: desired.vmName,
    ostype: 'l26',
    scsihw: 'virtio-scsi-pci',
    // STORAGE:0 with import-from copies the image into a new volume of that storage.
    [IMAGE_DISK]: `${image.storage}:0,import-from=${image.image}`,
    ide2: `${image.storage}:cloudinit`,
    boot: `order=${IMAGE_DISK}`,
    serial0: 'socket',
    vga: 'serial0',
    ciuser: image.user,
  };
  // Proxmox wants sshkeys URL-encoded (spaces as %20, not +).
  if (image.sshKeys.length > 0) params['sshkeys'] = encodeURIComponent(image.sshKeys.join('\n'));
  if (image.vendorSnippet !== undefined) params['cicustom'] = `vendor=${image.vendorSnippet}`;
  if (desired.pool !== undefined) params['pool'] = desired.pool;
  return params;
}
