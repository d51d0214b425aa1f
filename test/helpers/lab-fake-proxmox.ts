// A fake Proxmox VE for the lab tests: real HTTPS on 127.0.0.1, in-memory VMs and templates, API
// token and ticket auth, privileges that can be withheld (403 with Proxmox's own wording), tasks
// whose UPIDs finish after a few polls (and apply their effect only then), a guest agent that comes
// up some pings after boot, and failures on demand. VMs are also created from cloud images
// (import-from), whose guest agent may be missing, and whose guest runs commands through agent exec
// like a shell would: `test -e` of voiplab's install marker, and voiplab's XiVO installer wrapper,
// which exits as the test scripts it (code, output, how many polls it stays running). Pools are
// listed, created, joined and deleted (PVE 9 `/pools?poolid=`). Every request and answer is checked
// against the PVE API schema (PveSpec); `violations` must stay empty.

import { INSTALL_MARKER, INSTALLER_NAME } from '../../lab/commands/install-xivo.ts';
import { FakeHttpsServer, type FakeAnswer, type FakeRequest } from './lab-fake-http.ts';
import { PveSpec } from './lab-spec-pve.ts';

export interface FakeVm {
  vmid: number;
  node: string;
  name: string;
  template: boolean;
  status: 'running' | 'stopped';
  pool?: string;
  config: Record<string, string | number>;
  snapshots: Map<string, { description: string; snaptime: number; config: Record<string, string | number> }>;
  /** Failing pings left before the agent answers, counted from boot. */
  agentPingsLeft: number;
  /** false: the guest has no qemu-guest-agent (a bare cloud image); it never answers. */
  agent?: boolean;
  /** The guest holds voiplab's install marker (a finished XiVO install). */
  installed?: boolean;
}

/** How one run of the XiVO installer in a guest ends. */
export interface InstallOutcome {
  exitcode: number;
  out?: string;
  err?: string;
  /** exec-status polls answered `exited: 0` first (a slow guest); default 2. */
  polls?: number;
}

interface FakeExec {
  pollsLeft: number;
  exitcode: number;
  out: string;
  err: string;
  onExit?: () => void;
}

interface FakeTask {
  upid: string;
  node: string;
  type: string;
  id: string;
  user: string;
  pollsLeft: number;
  exitstatus: string;
  effect: () => void;
  log: string[];
}

export interface FakeProxmoxOptions {
  tls: { key: string; cert: string };
  tokens?: Array<{ tokenId: string; secret: string }>;
  users?: Array<{ username: string; password: string }>;
  nodes?: string[];
  templates?: Array<{ vmid: number; node: string; name: string }>;
  /** Status polls a task answers `running` before it stops; default 2. */
  taskPolls?: number;
  /** Failing agent pings after each start; default 2. */
  agentPings?: number;
  /** Image volumes that POST /nodes/{node}/qemu may import (import-from); agent false: without qemu-guest-agent. */
  images?: Array<{ volid: string; agent?: boolean }>;
  /** Pools that exist before the lab runs. */
  pools?: Array<{ poolid: string; comment?: string }>;
  onRollback?: (vm: FakeVm) => void;
  onDestroy?: (vm: FakeVm) => void;
}

interface HttpFailure { method: string; path: RegExp; status: number; message: string; times: number }
interface TaskFailure { type: string; exitstatus: string; times: number }

let sharedSpec: PveSpec | undefined;

export class FakeProxmox {
  readonly vms = new Map<number, FakeVm>();
  /** Privileges withheld from every credential ("VM.Allocate"…). */
  readonly denied = new Set<string>();
  url = '';
  private readonly http: FakeHttpsServer;
  private readonly tasks = new Map<string, FakeTask>();
  private readonly tickets = new Map<string, { username: string; csrf: string }>();
  private readonly httpFailures: HttpFailure[] = [];
  private readonly taskFailures: TaskFailure[] = [];
  private readonly execs = new Map<number, FakeExec>();
  readonly pools = new Map<string, { comment?: string }>();
  /** How the next runs of the XiVO installer end, in order; when empty, they succeed. */
  readonly installOutcomes: InstallOutcome[] = [];
  /** Every command run through agent exec: `<vmid>: <argv joined by spaces>`. */
  readonly execLog: string[] = [];
  private nextPid = 1000;
  private readonly options: FakeProxmoxOptions;

  private constructor(options: FakeProxmoxOptions) {
    this.options = options;
    const spec = (sharedSpec ??= new PveSpec());
    this.http = new FakeHttpsServer(options.tls, {
      checkRequest: (req) => spec.checkRequest(req.method, apiPath(req.path), req.query, req.body),
      checkResponse: (req, answer) => spec.checkResponse(req.method, apiPath(req.path), answer.status, answer.body),
      invalidRequestAnswer: (problems) => ({ status: 400, statusMessage: 'Parameter verification failed.', body: { data: null, errors: { request: problems.join('; ') } } }),
    }, (req) => this.route(req));
    for (const p of options.pools ?? []) this.pools.set(p.poolid, p.comment === undefined ? {} : { comment: p.comment });
    for (const t of options.templates ?? []) {
      this.vms.set(t.vmid, { vmid: t.vmid, node: t.node, name: t.name, template: true, status: 'stopped', config: { name: t.name, memory: '2048', cores: 2, net0: 'virtio=BC:24:11:00:00:01,bridge=vmbr0', ide2: 'local-lvm:cloudinit,media=cdrom', agent: '1' }, snapshots: new Map(), agentPingsLeft: 0 });
    }
  }

  static async start(options: FakeProxmoxOptions): Promise<FakeProxmox> {
    const fake = new FakeProxmox(options);
    fake.url = `https://127.0.0.1:${await fake.http.listen()}`;
    return fake;
  }

  get violations(): string[] {
    return this.http.violations;
  }

  /** `METHOD /path` of every request, in order. */
  get requests(): string[] {
    return this.http.log;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** The next `times` calls matching answer `status` with Proxmox's `message`. */
  failHttp(method: string, path: RegExp, status: number, message: string, times = 1): void {
    this.httpFailures.push({ method, path, status, message, times });
  }

  /** The next `times` tasks of `type` (qmclone, qmstart, …) stop with `exitstatus`. */
  failTask(type: string, exitstatus: string, times = 1): void {
    this.taskFailures.push({ type, exitstatus, times });
  }

  /** Writes (POST/PUT/DELETE) seen since the log was `from` long, to check a rerun changes nothing. */
  writesSince(from: number): string[] {
    return this.http.log.slice(from).filter((line) => !line.startsWith('GET ') && !line.includes('/agent/ping') && !line.startsWith('POST /api2/json/access/ticket'));
  }

  private route(req: FakeRequest): FakeAnswer {
    const path = apiPath(req.path);
    const who = this.authenticate(req, path);
    if (typeof who !== 'string') return who;
    const injected = this.httpFailures.find((f) => f.times > 0 && f.method === req.method && f.path.test(path));
    if (injected !== undefined) {
      injected.times--;
      return fail(injected.status, injected.message);
    }
    const params = { ...req.query, ...(req.body as Record<string, unknown> | undefined) };
    const m = (re: RegExp): RegExpExecArray | null => re.exec(path);
    let hit: RegExpExecArray | null;
    if (req.method === 'GET' && path === '/version') return ok({ version: '9.1.1', release: '9.1', repoid: 'a8736b6d' });
    if (req.method === 'GET' && path === '/cluster/resources') return ok([...this.vms.values()].map((vm) => resource(vm)));
    if (req.method === 'GET' && path === '/cluster/nextid') {
      let id = 100;
      while (this.vms.has(id)) id++;
      return ok(id);
    }
    if (path === '/pools') return this.poolAnswer(req.method, params);
    if (req.method === 'POST' && (hit = m(/^\/nodes\/([^/]+)\/qemu$/)) !== null) return this.createVm(hit[1] ?? '', params, who);
    if ((hit = m(/^\/nodes\/([^/]+)\/tasks\/([^/]+)\/(status|log)$/)) !== null) return this.taskAnswer(decodeURIComponent(hit[2] ?? ''), hit[3] ?? '');
    if ((hit = m(/^\/nodes\/([^/]+)\/qemu\/(\d+)(\/.*)?$/)) !== null) {
      const node = hit[1] ?? '';
      const vmid = Number(hit[2]);
      const rest = hit[3] ?? '';
      const vm = this.vms.get(vmid);
      if (vm === undefined || vm.node !== node) return fail(500, `Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist`);
      return this.vmAnswer(req.method, rest, vm, params, who);
    }
    return fail(501, `Method '${req.method} ${path}' not implemented by the fake`);
  }

  private authenticate(req: FakeRequest, path: string): string | FakeAnswer {
    if (req.method === 'POST' && path === '/access/ticket') {
      const body = req.body as { username: string; password: string };
      const user = this.options.users?.find((u) => u.username === body.username && (u.password === body.password || this.tickets.has(body.password)));
      if (user === undefined) return fail(401, 'authentication failure');
      const ticket = `PVE:${user.username}:${(this.tickets.size + 1).toString(16).padStart(8, '0')}::fake`;
      const csrf = `${(this.tickets.size + 1).toString(16)}:fakecsrf`;
      this.tickets.set(ticket, { username: user.username, csrf });
      return ok({ username: user.username, ticket, CSRFPreventionToken: csrf });
    }
    const authorization = req.headers.authorization ?? '';
    if (authorization.startsWith('PVEAPIToken=')) {
      const value = authorization.slice('PVEAPIToken='.length);
      const cut = value.indexOf('=');
      const tokenId = value.slice(0, cut);
      const secret = value.slice(cut + 1);
      const token = this.options.tokens?.find((t) => t.tokenId === tokenId && t.secret === secret);
      return token === undefined ? fail(401, 'invalid token value!') : tokenId.split('!')[0] ?? '';
    }
    const cookie = /PVEAuthCookie=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const session = cookie === undefined ? undefined : this.tickets.get(decodeURIComponent(cookie));
    if (session === undefined) return fail(401, 'No ticket');
    if (req.method !== 'GET' && req.headers['csrfpreventiontoken'] !== session.csrf) return fail(401, 'Permission denied - invalid csrf token');
    return session.username;
  }

  private need(privilege: string, on: string): FakeAnswer | undefined {
    return this.denied.has(privilege) ? fail(403, `Permission check failed (${on}, ${privilege})`) : undefined;
  }

  private startTask(node: string, type: string, id: string, user: string, effect: () => void): string {
    const starttime = Math.floor(Date.now() / 1000) + this.tasks.size;
    const pid = this.nextPid++;
    const upid = `UPID:${node}:${pid.toString(16).toUpperCase().padStart(8, '0')}:${(starttime * 10).toString(16).toUpperCase()}:${starttime.toString(16).toUpperCase()}:${type}:${id}:${user}:`;
    const failure = this.taskFailures.find((f) => f.times > 0 && f.type === type);
    if (failure !== undefined) failure.times--;
    this.tasks.set(upid, { upid, node, type, id, user, pollsLeft: this.options.taskPolls ?? 2, exitstatus: failure?.exitstatus ?? 'OK', effect, log: [`starting ${type} ${id}`] });
    return upid;
  }

  private taskAnswer(upid: string, what: string): FakeAnswer {
    const task = this.tasks.get(upid);
    if (task === undefined) return fail(500, `no such task '${upid}'`);
    if (what === 'log') return ok([...task.log, task.pollsLeft > 0 ? '' : task.exitstatus === 'OK' ? 'TASK OK' : `TASK ERROR: ${task.exitstatus}`].filter((t) => t !== '').map((t, i) => ({ n: i + 1, t })));
    if (task.pollsLeft > 0) {
      task.pollsLeft--;
      if (task.pollsLeft === 0 && task.exitstatus === 'OK') task.effect();
    }
    const fields = upid.split(':');
    return ok({
      upid, node: task.node, pid: parseInt(fields[2] ?? '0', 16), pstart: parseInt(fields[3] ?? '0', 16), starttime: parseInt(fields[4] ?? '0', 16),
      type: task.type, id: task.id, user: task.user, status: task.pollsLeft > 0 ? 'running' : 'stopped',
      ...(task.pollsLeft > 0 ? {} : { exitstatus: task.exitstatus }),
    });
  }

  private vmAnswer(method: string, rest: string, vm: FakeVm, params: Record<string, unknown>, user: string): FakeAnswer {
    const on = `/vms/${vm.vmid}`;
    const key = `${method} ${rest}`;
    if (key === 'POST /clone') {
      const newid = Number(params['newid']);
      const denied = this.need('VM.Clone', on) ?? this.need('VM.Allocate', `/vms/${newid}`);
      if (denied !== undefined) return denied;
      if (!vm.template && params['full'] !== 1 && params['full'] !== true) return fail(500, 'Linked clone feature is not supported for this VM (not a template)');
      if (this.vms.has(newid)) return fail(500, `unable to create VM ${newid}: config file already exists`);
      if (typeof params['pool'] === 'string' && !this.pools.has(params['pool'])) return fail(500, `pool '${params['pool']}' does not exist`);
      const target = typeof params['target'] === 'string' ? params['target'] : vm.node;
      const name = typeof params['name'] === 'string' ? params['name'] : `Copy-of-VM-${vm.name}`;
      return ok(this.startTask(vm.node, 'qmclone', String(vm.vmid), user, () => {
        this.vms.set(newid, {
          vmid: newid, node: target, name, template: false, status: 'stopped', config: { ...vm.config, name }, snapshots: new Map(), agentPingsLeft: 0,
          ...(typeof params['pool'] === 'string' ? { pool: params['pool'] } : {}),
        });
      }));
    }
    if (key === 'GET /config') return this.need('VM.Audit', on) ?? ok({ ...vm.config, digest: 'fakedigest0000000000000000000000000000' });
    if (key === 'POST /config') {
      const denied = this.need('VM.Config.Network', on) ?? this.need('VM.Config.Cloudinit', on);
      if (denied !== undefined) return denied;
      const changes = Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'node' && k !== 'vmid')) as Record<string, string | number>;
      return ok(this.startTask(vm.node, 'qmconfig', String(vm.vmid), user, () => Object.assign(vm.config, changes)));
    }
    if (key === 'GET /status/current') {
      return this.need('VM.Audit', on) ?? ok({ status: vm.status, vmid: vm.vmid, name: vm.name, ha: { managed: 0 }, agent: vm.config['agent'] === '1' ? 1 : 0, qmpstatus: vm.status });
    }
    if (method === 'POST' && /^\/status\/(start|stop|shutdown)$/.test(rest)) {
      const denied = this.need('VM.PowerMgmt', on);
      if (denied !== undefined) return denied;
      const action = rest.slice('/status/'.length);
      if (action === 'start' && vm.status === 'running') return fail(500, `VM ${vm.vmid} already running`);
      return ok(this.startTask(vm.node, `qm${action}`, String(vm.vmid), user, () => {
        vm.status = action === 'start' ? 'running' : 'stopped';
        vm.agentPingsLeft = this.options.agentPings ?? 2;
      }));
    }
    if (key === 'GET /snapshot') {
      return this.need('VM.Audit', on) ?? ok([
        ...[...vm.snapshots.entries()].map(([name, s]) => ({ name, description: s.description, snaptime: s.snaptime })),
        { name: 'current', description: 'You are here!', ...(vm.snapshots.size > 0 ? { parent: [...vm.snapshots.keys()].at(-1) } : {}) },
      ]);
    }
    if (key === 'POST /snapshot') {
      const denied = this.need('VM.Snapshot', on);
      if (denied !== undefined) return denied;
      const name = String(params['snapname']);
      if (vm.snapshots.has(name)) return fail(500, `snapshot name '${name}' already used`);
      return ok(this.startTask(vm.node, 'qmsnapshot', String(vm.vmid), user, () => {
        vm.snapshots.set(name, { description: typeof params['description'] === 'string' ? params['description'] : '', snaptime: Math.floor(Date.now() / 1000), config: { ...vm.config } });
      }));
    }
    const rollback = /^\/snapshot\/([^/]+)\/rollback$/.exec(rest);
    if (method === 'POST' && rollback !== null) {
      const denied = this.need('VM.Snapshot.Rollback', on);
      if (denied !== undefined) return denied;
      const snap = vm.snapshots.get(decodeURIComponent(rollback[1] ?? ''));
      if (snap === undefined) return fail(500, `snapshot '${rollback[1] ?? ''}' does not exist`);
      return ok(this.startTask(vm.node, 'qmrollback', String(vm.vmid), user, () => {
        vm.config = { ...snap.config };
        vm.status = 'stopped';
        this.options.onRollback?.(vm);
      }));
    }
    if (key === 'DELETE ') {
      const denied = this.need('VM.Allocate', on);
      if (denied !== undefined) return denied;
      if (vm.status === 'running') return fail(500, `VM ${vm.vmid} is running - destroy failed`);
      return ok(this.startTask(vm.node, 'qmdestroy', String(vm.vmid), user, () => {
        this.vms.delete(vm.vmid);
        this.options.onDestroy?.(vm);
      }));
    }
    if (key === 'PUT /resize') {
      const denied = this.need('VM.Config.Disk', on);
      if (denied !== undefined) return denied;
      const disk = String(params['disk']);
      const size = /^(\d+)G$/.exec(String(params['size']));
      const current = String(vm.config[disk] ?? '');
      if (current === '' || size === null) return fail(400, `disk '${disk}' does not exist or size '${String(params['size'])}' is not understood by the fake`);
      return ok(this.startTask(vm.node, 'resize', String(vm.vmid), user, () => {
        vm.config[disk] = current.replace(/size=[^,]+/, `size=${size[1] ?? '0'}G`);
      }));
    }
    if (rest.startsWith('/agent/')) {
      const denied = this.need(rest === '/agent/exec' || rest === '/agent/exec-status' ? 'VM.GuestAgent.Unrestricted' : 'VM.GuestAgent.Audit', on);
      if (denied !== undefined) return denied;
      if (vm.status !== 'running') return fail(500, `VM ${vm.vmid} is not running`);
      if (vm.agent === false) return fail(500, 'QEMU guest agent is not running');
      if (rest === '/agent/ping' && vm.agentPingsLeft > 0) {
        vm.agentPingsLeft--;
        return fail(500, 'QEMU guest agent is not running');
      }
      if (vm.agentPingsLeft > 0) return fail(500, 'QEMU guest agent is not running');
      if (rest === '/agent/ping') return ok({ result: {} });
      if (rest === '/agent/network-get-interfaces') return ok({ result: guestInterfaces(vm) });
      if (rest === '/agent/exec') {
        const command = Array.isArray(params['command']) ? params['command'].map(String) : [];
        this.execLog.push(`${vm.vmid}: ${command.join(' ')}`);
        const pid = this.nextPid++;
        this.execs.set(pid, this.guestRun(vm, command));
        return ok({ pid });
      }
      if (rest === '/agent/exec-status') {
        const pid = Number(params['pid']);
        const run = this.execs.get(pid);
        if (run === undefined) return fail(500, `Agent error: Invalid parameter 'pid'`);
        if (run.pollsLeft > 0) {
          run.pollsLeft--;
          return ok({ exited: 0 });
        }
        // The guest agent forgets a process once its exit has been read.
        this.execs.delete(pid);
        run.onExit?.();
        return ok({ exited: 1, exitcode: run.exitcode, ...(run.out === '' ? {} : { 'out-data': run.out }), ...(run.err === '' ? {} : { 'err-data': run.err }) });
      }
    }
    return fail(501, `Method '${method} /nodes/{node}/qemu/{vmid}${rest}' not implemented by the fake`);
  }
  /** What the guest does with a command: a small shell for the commands voiplab sends. */
  private guestRun(vm: FakeVm, command: string[]): FakeExec {
    if (command[0] === 'test' && command[1] === '-e' && command[2] === INSTALL_MARKER) return { pollsLeft: 0, exitcode: vm.installed === true ? 0 : 1, out: '', err: '' };
    if (command[0] === '/bin/bash' && command[1] === '-c' && command[3] === INSTALLER_NAME) {
      const kind = command[4];
      if ((kind !== 'url' && kind !== 'script') || command[5] === undefined || command[6] === undefined) return { pollsLeft: 0, exitcode: 2, out: '', err: `${INSTALLER_NAME}: bad arguments ${JSON.stringify(command.slice(4))}\n` };
      const outcome = this.installOutcomes.shift() ?? { exitcode: 0, out: `Get:1 http://mirror.xivo.solutions ${command[6]}\nXiVO ${command[6]} installed\n` };
      return {
        pollsLeft: outcome.polls ?? 2, exitcode: outcome.exitcode, out: outcome.out ?? '', err: outcome.err ?? '',
        ...(outcome.exitcode === 0 ? { onExit: () => { vm.installed = true; } } : {}),
      };
    }
    // Any other command succeeds after one poll.
    return { pollsLeft: 1, exitcode: 0, out: 'ok\n', err: '' };
  }

  /** POST /nodes/{node}/qemu: a new VM, its disk imported from an image volume. */
  private createVm(node: string, params: Record<string, unknown>, user: string): FakeAnswer {
    const vmid = Number(params['vmid']);
    const denied = this.need('VM.Allocate', `/vms/${vmid}`) ?? this.need('Datastore.AllocateSpace', '/storage/local-lvm');
    if (denied !== undefined) return denied;
    if (this.vms.has(vmid)) return fail(500, `unable to create VM ${vmid} - VM ${vmid} already exists on node '${node}'`);
    const pool = typeof params['pool'] === 'string' ? params['pool'] : undefined;
    if (pool !== undefined && !this.pools.has(pool)) return fail(500, `pool '${pool}' does not exist`);
    const config: Record<string, string | number> = {};
    for (const [key, value] of Object.entries(params)) if (key !== 'node' && key !== 'vmid' && key !== 'pool' && (typeof value === 'string' || typeof value === 'number')) config[key] = value;
    let agent = true;
    for (const [key, value] of Object.entries(config)) {
      const imported = /^([^:,]+):0,import-from=([^,]+)$/.exec(String(value));
      if (imported === null) continue;
      const image = this.options.images?.find((i) => i.volid === imported[2]);
      if (image === undefined) return fail(500, `import-from: volume '${imported[2] ?? ''}' does not exist`);
      agent = image.agent !== false;
      config[key] = `${imported[1] ?? ''}:vm-${vmid}-disk-0,size=2G`;
    }
    for (const [key, value] of Object.entries(config)) {
      if (/^ide\d+$/.test(key) && /^[^:]+:cloudinit$/.test(String(value))) config[key] = `${String(value).split(':')[0] ?? ''}:vm-${vmid}-cloudinit,media=cdrom`;
      if (/^net\d+$/.test(key) && /^virtio(,|$)/.test(String(value))) config[key] = String(value).replace(/^virtio/, `virtio=BC:24:11:00:${(vmid >> 8 & 0xff).toString(16).padStart(2, '0').toUpperCase()}:${(vmid & 0xff).toString(16).padStart(2, '0').toUpperCase()}`);
    }
    const name = typeof params['name'] === 'string' ? params['name'] : `VM${vmid}`;
    return ok(this.startTask(node, 'qmcreate', String(vmid), user, () => {
      this.vms.set(vmid, { vmid, node, name, template: false, status: 'stopped', config, snapshots: new Map(), agentPingsLeft: 0, agent, ...(pool === undefined ? {} : { pool }) });
    }));
  }

  /** `/pools` with `poolid` as a parameter (PVE 9); members are the VMs whose pool it is. */
  private poolAnswer(method: string, params: Record<string, unknown>): FakeAnswer {
    const poolid = typeof params['poolid'] === 'string' ? params['poolid'] : undefined;
    const on = `/pool/${poolid ?? ''}`;
    const entry = (id: string, withMembers: boolean): Record<string, unknown> => {
      const pool = this.pools.get(id);
      const members = [...this.vms.values()].filter((vm) => vm.pool === id).map((vm) => ({ id: `qemu/${vm.vmid}`, node: vm.node, type: 'qemu', vmid: vm.vmid, name: vm.name, status: vm.status }));
      return { poolid: id, ...(pool?.comment === undefined ? {} : { comment: pool.comment }), ...(withMembers ? { members } : {}) };
    };
    if (method === 'GET') {
      if (poolid === undefined) return ok(this.denied.has('Pool.Audit') ? [] : [...this.pools.keys()].map((id) => entry(id, false)));
      if (!this.pools.has(poolid)) return fail(500, `pool '${poolid}' does not exist`);
      return this.need('Pool.Audit', on) ?? ok([entry(poolid, true)]);
    }
    if (poolid === undefined) return fail(400, 'poolid: property is missing and it is not optional');
    const denied = this.need('Pool.Allocate', on);
    if (denied !== undefined) return denied;
    if (method === 'POST') {
      if (this.pools.has(poolid)) return fail(500, `pool '${poolid}' already exists`);
      this.pools.set(poolid, typeof params['comment'] === 'string' ? { comment: params['comment'] } : {});
      return ok(null);
    }
    if (!this.pools.has(poolid)) return fail(500, `pool '${poolid}' does not exist`);
    if (method === 'PUT') {
      for (const id of (typeof params['vms'] === 'string' || typeof params['vms'] === 'number' ? String(params['vms']) : '').split(/[,;\s]+/).filter((v) => v !== '')) {
        const vm = this.vms.get(Number(id));
        if (vm === undefined) return fail(500, `no such VMID '${id}'`);
        const moving = vm.pool !== undefined && vm.pool !== poolid;
        if (moving && params['allow-move'] !== 1 && params['allow-move'] !== true) return fail(500, `VM ${id} belongs already to pool '${vm.pool ?? ''}' and 'allow-move' is not set`);
        if (params['delete'] === 1 || params['delete'] === true) delete vm.pool;
        else vm.pool = poolid;
      }
      return ok(null);
    }
    if (method === 'DELETE') {
      if ([...this.vms.values()].some((vm) => vm.pool === poolid)) return fail(500, `delete pool failed: pool '${poolid}' is not empty`);
      this.pools.delete(poolid);
      return ok(null);
    }
    return fail(501, `Method '${method} /pools' not implemented by the fake`);
  }
}

function apiPath(path: string): string {
  return path.startsWith('/api2/json') ? path.slice('/api2/json'.length) : path;
}

function ok(data: unknown): FakeAnswer {
  return { status: 200, body: { data } };
}

/** Proxmox puts the reason in the status line and, since PVE 7, also in `message`. */
function fail(status: number, message: string): FakeAnswer {
  return { status, statusMessage: message.replace(/[^\x20-\x7e]/g, ' '), body: { data: null, message: `${message}\n` } };
}

function resource(vm: FakeVm): Record<string, unknown> {
  return {
    id: `qemu/${vm.vmid}`, type: 'qemu', vmid: vm.vmid, name: vm.name, node: vm.node, status: vm.status, template: vm.template ? 1 : 0,
    maxmem: 2147483648, maxcpu: 2, ...(vm.pool === undefined ? {} : { pool: vm.pool }),
    ...(typeof vm.config['tags'] === 'string' ? { tags: vm.config['tags'] } : {}),
  };
}

function guestInterfaces(vm: FakeVm): unknown[] {
  const ipconfig = String(vm.config['ipconfig0'] ?? 'ip=dhcp');
  const staticIp = /ip=(\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(ipconfig);
  const address = staticIp?.[1] ?? `10.254.${Math.floor(vm.vmid / 250) % 250}.${(vm.vmid % 250) + 2}`;
  return [
    { name: 'lo', 'hardware-address': '00:00:00:00:00:00', 'ip-addresses': [{ 'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', prefix: 8 }] },
    { name: 'eth0', 'hardware-address': 'bc:24:11:00:00:02', 'ip-addresses': [{ 'ip-address': address, 'ip-address-type': 'ipv4', prefix: Number(staticIp?.[2] ?? 24) }, { 'ip-address': 'fe80::1', 'ip-address-type': 'ipv6', prefix: 64 }] },
  ];
}
