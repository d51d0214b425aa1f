// A real foreign SIP server for tests: Kamailio (Debian package kamailio) as a registrar and
// transaction-stateful proxy without authentication, usrloc in memory, on 127.0.0.1 over UDP and
// TCP on one free port. Its config is written to a temporary folder; it runs in the foreground as
// a child process and is stopped by its PID. Media does not go through it: RTP flows between the
// phones as their SDP says.

import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scenarios/runner/phones/free-port.ts';

export const KAMAILIO_BIN = '/usr/sbin/kamailio';
const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';
export const kamailioMissing = existsSync(KAMAILIO_BIN) && existsSync(MODULES) ? false : 'Kamailio (Debian package kamailio) is not installed';

const READY_BOUND_MS = 15_000;
const STOP_BOUND_MS = 5000;

function config(domain: string): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
alias="${domain}"
dns=no
rev_dns=no
use_dns_cache=no
user_agent_header="User-Agent: kamailio-voiplab-test"
mpath="${MODULES}"

loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"

modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 1)
modparam("tm", "fr_timer", 5000)

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	# Liveness probe of the test harness.
	if (is_method("OPTIONS") && uri == myself && $rU == $null) {
		sl_send_reply("200", "OK");
		exit;
	}
	if (is_method("REGISTER")) {
		if (!save("location")) sl_reply_error();
		exit;
	}
	if (has_totag()) {
		if (loose_route()) {
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans()) t_relay();
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans()) t_relay();
		exit;
	}
	t_check_trans();
	if (is_method("INVITE|REFER|MESSAGE")) record_route();
	if (!lookup("location")) {
		sl_send_reply("404", "Not Found");
		exit;
	}
	if (!t_relay()) sl_reply_error();
	exit;
}
`;
}

export interface Kamailio {
  domain: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Resolves once it answers an OPTIONS on UDP; rejects with its stderr when it exits or stays silent. */
async function waitUntilAnswering(child: ChildProcess, port: number, stderr: () => string): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port: local } = socket.address();
  let answered = false;
  socket.on('message', () => { answered = true; });
  try {
    const deadline = performance.now() + READY_BOUND_MS;
    for (let n = 1; !answered; n++) {
      if (child.exitCode !== null) throw new Error(`kamailio exited (${child.exitCode}) at start:\n${stderr()}`);
      if (performance.now() > deadline) throw new Error(`kamailio did not answer OPTIONS on udp 127.0.0.1:${port} within ${READY_BOUND_MS} ms:\n${stderr()}`);
      const options = `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-ready-${n}\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=probe\r\nTo: <sip:127.0.0.1:${port}>\r\nCall-ID: ready-${n}@127.0.0.1\r\nCSeq: ${n} OPTIONS\r\nContent-Length: 0\r\n\r\n`;
      socket.send(options, port, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    socket.close();
  }
}

export async function startKamailio(domain = 'kamailio.test'): Promise<Kamailio> {
  const dir = await mkdtemp(join(tmpdir(), 'voiplab-kamailio-'));
  const cfg = join(dir, 'kamailio.cfg');
  await writeFile(cfg, config(domain));
  const port = await freePort();
  const child = spawn(KAMAILIO_BIN, [
    '-f', cfg, '-DD', '-E', '-m', '64', '-M', '8',
    '-l', `udp:127.0.0.1:${port}`, '-l', `tcp:127.0.0.1:${port}`, '-Y', dir, '-P', join(dir, 'kamailio.pid'),
  ], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-20_000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_BOUND_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (pid === undefined) throw new Error(`could not start ${KAMAILIO_BIN}`);
    await waitUntilAnswering(child, port, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return { domain, port, pid, stop };
}
