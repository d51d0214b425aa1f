// `voiplab account add|list|remove`: edits the config file through ConfigFileService (validated,
// written atomically, passwords as HA1), so a running `voiplab serve` picks it up by its file watch.

import { generatePassword } from '../ipbx/config/index.ts';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIo } from './cli-io.ts';
import { CONFIG_OPTIONS, expectPositionals, parseCommandArgs } from './cli-options.ts';
import { openConfig } from './config-location.ts';
import { ACCOUNT_USAGE } from './usage.ts';

const OPTIONS = { ...CONFIG_OPTIONS, name: { type: 'string' }, password: { type: 'string' } } as const;

export async function accountCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  const [action, ...rest] = positionals;
  if (values.help === true) {
    for (const line of ACCOUNT_USAGE) io.out(`usage: ${line}`);
    return EXIT_OK;
  }
  if (action === undefined) throw new UsageError(`missing action: add, list or remove\nusage: ${ACCOUNT_USAGE.join('\n       ')}`);
  if (action !== 'add' && (values.name !== undefined || values.password !== undefined)) {
    throw new UsageError(`--name and --password belong to 'account add'`);
  }
  switch (action) {
    case 'add': {
      expectPositionals(rest, 1, ACCOUNT_USAGE[0] ?? '');
      const extension = rest[0] ?? '';
      const { service, file } = await openConfig(values, io);
      const password = values.password ?? generatePassword();
      const account = await service.createAccount({ extension, password, displayName: values.name });
      io.out(`Added account ${account.extension}${account.displayName === '' ? '' : ` (${account.displayName})`} to ${file}`);
      if (values.password === undefined) io.out(`  password ${password}  (shown once; the file keeps only hashes)`);
      return EXIT_OK;
    }
    case 'list': {
      expectPositionals(rest, 0, ACCOUNT_USAGE[1] ?? '');
      const { service } = await openConfig(values, io);
      for (const a of service.accounts.list()) {
        io.out([a.extension, a.displayName === '' ? '-' : JSON.stringify(a.displayName), a.enabled ? 'enabled' : 'disabled', a.transports.join(',')].join('\t'));
      }
      return EXIT_OK;
    }
    case 'remove': {
      expectPositionals(rest, 1, ACCOUNT_USAGE[2] ?? '');
      const extension = rest[0] ?? '';
      const { service, file } = await openConfig(values, io);
      if (!(await service.removeAccount(extension))) {
        io.err(`voiplab: no account has extension ${extension} in ${file}`);
        return EXIT_FAILURE;
      }
      io.out(`Removed account ${extension} from ${file}`);
      return EXIT_OK;
    }
    default:
      throw new UsageError(`unknown account action '${action}' (add, list, remove)`);
  }
}
