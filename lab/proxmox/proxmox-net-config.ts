// The property strings of a VM's network: `net0` (`virtio=<MAC>,bridge=vmbr1,tag=101,firewall=1`)
// and cloud-init's `ipconfig0` (`ip=10.1.1.10/24,gw=10.1.1.1` or `ip=dhcp`). Parsed to compare what
// a VM has with what the lab wants, written keeping the MAC address Proxmox generated.

export interface NetDevice {
  model: string;
  mac?: string;
  bridge?: string;
  tag?: number;
  firewall?: boolean;
}

const MODELS = new Set(['virtio', 'e1000', 'e1000e', 'rtl8139', 'vmxnet3', 'i82551', 'i82557b', 'i82559er', 'ne2k_isa', 'ne2k_pci', 'pcnet']);

export function parseNetDevice(text: string): NetDevice {
  const device: NetDevice = { model: '' };
  for (const part of text.split(',')) {
    const [key = '', value = ''] = part.split('=', 2);
    if (MODELS.has(key) || key.startsWith('e1000')) {
      device.model = key;
      if (value !== '') device.mac = value;
    } else if (key === 'model') device.model = value;
    else if (key === 'macaddr') device.mac = value;
    else if (key === 'bridge') device.bridge = value;
    else if (key === 'tag') device.tag = Number(value);
    else if (key === 'firewall') device.firewall = value === '1';
  }
  return device;
}

export function formatNetDevice(device: NetDevice): string {
  const parts = [device.mac === undefined ? device.model : `${device.model}=${device.mac}`];
  if (device.bridge !== undefined) parts.push(`bridge=${device.bridge}`);
  if (device.tag !== undefined) parts.push(`tag=${device.tag}`);
  if (device.firewall !== undefined) parts.push(`firewall=${device.firewall ? 1 : 0}`);
  return parts.join(',');
}

export type IpConfig = { dhcp: true } | { dhcp: false; cidr: string; gateway?: string };

export function formatIpConfig(config: IpConfig): string {
  if (config.dhcp) return 'ip=dhcp';
  return config.gateway === undefined ? `ip=${config.cidr}` : `ip=${config.cidr},gw=${config.gateway}`;
}

export function parseIpConfig(text: string): IpConfig | undefined {
  const fields = new Map(text.split(',').map((p) => p.split('=', 2) as [string, string | undefined]));
  const ip = fields.get('ip');
  if (ip === undefined) return undefined;
  if (ip === 'dhcp') return { dhcp: true };
  const gw = fields.get('gw');
  return gw === undefined ? { dhcp: false, cidr: ip } : { dhcp: false, cidr: ip, gateway: gw };
}
