#!/usr/bin/env node
/**
 * Runs a command with a deadline, so a hung test run fails in minutes with a diagnosis instead of
 * silently eating CI's whole time budget.
 *
 *   node scripts/watchdog.mjs <seconds> <command> [args...]
 *
 * The command runs in its own process group. Past the deadline the watchdog
 *   1. asks every Node process in the group for a diagnostic report (`--report-on-signal`, which it
 *      puts into NODE_OPTIONS) and prints each one's JavaScript stack and open handles,
 *   2. prints the group's process tree,
 *   3. sends SIGTERM to the group, then SIGKILL ten seconds later, and exits with 124 (as timeout(1)).
 * Otherwise it exits with the command's own status, after killing (and naming) any process the command
 * left running in its group.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

const [limitArg, command, ...args] = process.argv.slice(2);
const limitSeconds = Number(limitArg);
if (!Number.isFinite(limitSeconds) || limitSeconds <= 0 || command === undefined) {
  console.error('usage: node scripts/watchdog.mjs <seconds> <command> [args...]');
  process.exit(2);
}

const REPORT_SIGNAL = 'SIGUSR2';
const reportDir = mkdtempSync(join(tmpdir(), 'latchkey-watchdog-'));
const nodeOptions = [
  process.env.NODE_OPTIONS ?? '',
  '--report-on-signal',
  `--report-signal=${REPORT_SIGNAL}`,
  `--report-directory=${reportDir}`,
]
  .join(' ')
  .trim();

const child = spawn(command, args, {
  stdio: 'inherit',
  detached: true, // its own process group, so the whole tree can be signalled at once
  env: { ...process.env, NODE_OPTIONS: nodeOptions },
});

let timedOut = false;
const deadline = setTimeout(() => void onDeadline(), limitSeconds * 1000);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => signalGroup(signal));
}

child.on('exit', (code, signal) => {
  clearTimeout(deadline);
  rmSync(reportDir, { recursive: true, force: true });
  // Anything the command left behind in its group (a leaked server, say) would keep this run's output
  // open after it ended: name it, then end it.
  const leftovers = groupMembers(child.pid);
  if (leftovers.length > 0) {
    console.error(`watchdog: ${leftovers.length} process(es) outlived the command and are killed:`);
    for (const member of leftovers) console.error(`  ${member.pid} ${member.args}`);
    signalGroup('SIGKILL');
  }
  if (timedOut) process.exit(124);
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});

async function onDeadline() {
  timedOut = true;
  const members = groupMembers(child.pid);
  console.error(`\n=== watchdog: still running after ${limitSeconds} s: ${[command, ...args].join(' ')} ===`);
  for (const member of members.filter((m) => m.comm === 'node')) {
    try {
      process.kill(member.pid, REPORT_SIGNAL);
    } catch {
      // exited meanwhile
    }
  }
  await sleep(3_000);
  for (const file of readdirSync(reportDir).filter((name) => name.endsWith('.json'))) {
    printReport(JSON.parse(readFileSync(join(reportDir, file), 'utf8')));
  }
  console.error('--- processes in the group ---');
  for (const member of members) console.error(`${member.pid} (parent ${member.ppid}) ${member.args}`);
  signalGroup('SIGTERM');
  setTimeout(() => signalGroup('SIGKILL'), 10_000).unref();
}

/** The JavaScript stack and the open handles of one diagnostic report, in a few lines. */
function printReport(report) {
  const header = report.header ?? {};
  console.error(`--- pid ${header.processId}: ${(header.commandLine ?? []).join(' ').slice(0, 200)}`);
  const stack = report.javascriptStack ?? {};
  console.error(`  js: ${stack.message || '(idle: nothing on the stack)'}`);
  for (const frame of (stack.stack ?? []).slice(0, 15)) console.error(`    ${frame}`);
  const counts = new Map();
  for (const handle of report.libuv ?? []) {
    if (!handle.is_active) continue;
    counts.set(handle.type, (counts.get(handle.type) ?? 0) + 1);
    if (handle.type === 'tcp' && handle.remoteEndpoint) {
      const local = handle.localEndpoint ?? {};
      const remote = handle.remoteEndpoint;
      console.error(`  tcp ${local.host}:${local.port} -> ${remote.host}:${remote.port}`);
    }
  }
  console.error(`  active handles: ${[...counts].map(([type, n]) => `${type}×${n}`).join(', ') || 'none'}`);
}

/** Every live process whose process group is `pgid`, read from /proc. */
function groupMembers(pgid) {
  const members = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …: comm may hold spaces, so split after the last ')'
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const [, ppid, pgrp] = stat
        .slice(close + 2)
        .split(' ')
        .map(Number);
      if (pgrp !== pgid) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      members.push({ pid: Number(entry), ppid, comm, args: cmdline.slice(0, 200) });
    } catch {
      // the process exited while we looked
    }
  }
  return members;
}

function signalGroup(signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
