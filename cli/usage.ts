// Usage lines, apart from the commands so `voiplab --help` loads none of them.

export const SERVE_USAGE = 'voiplab serve [--config FILE] [--data DIR]';

export const ACCOUNT_USAGE = [
  'voiplab account add EXT [--name NAME] [--password PW] [--config FILE] [--data DIR]',
  'voiplab account list [--config FILE] [--data DIR]',
  'voiplab account remove EXT [--config FILE] [--data DIR]',
];

export const LAB_USAGE = [
  'voiplab lab plan FILE [--group NAME]...      what up would change',
  'voiplab lab up FILE [--group NAME]...        create what is missing, leave what is right',
  'voiplab lab status FILE [--group NAME]...    VM, address, XiVO and check per group',
  'voiplab lab reset FILE [--group NAME]...     roll back to the clean snapshot, provision again',
  'voiplab lab down FILE --yes [--group NAME]... stop and destroy the VMs',
  'voiplab lab report FILE [--out DIR]          Markdown, HTML and credentials sheets',
];

export const RUN_USAGE = 'voiplab run FILE_OR_DIR... [--report junit=PATH,html=PATH,json=PATH] [--only NAME] [--parallel N] [--pcap DIR]';

export const HELP = `voiplab: SIP IPBX, softphone and lab harness

usage: ${SERVE_USAGE}
         start the IPBX (SIP, HTTP API, web pages); prints what it listens on
       ${ACCOUNT_USAGE.join('\n       ')}
         change accounts in the config file (a running server reloads it)
       ${LAB_USAGE.join('\n       ')}
         XiVO labs on Proxmox VE for a class, from one lab file (docs/lab.md)
       ${RUN_USAGE}
         run call scenarios against an embedded IPBX; exit 0 only if all pass (docs/scenarios.md)
       voiplab --help | --version

options:
  --config FILE   config file (default: DIR/voiplab.yaml, written on first run with demo accounts)
  --data DIR      data folder: generated config, TLS certificate, store (default: ./data)

environment:
  VOIPLAB_ADMIN_TOKEN   Bearer token of the HTTP API (overrides security.adminToken)

exit status: 0 ok, 1 failure (config errors as file:line:column: field: message), 2 usage error`;
