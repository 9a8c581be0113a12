// Wall time and peak resident memory of a child process, measured the same
// way for rookery and for the baseline it is compared with.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A process's resident memory now (VmRSS) and its peak so far (VmHWM), in bytes, from the kernel; throws once the process has gone. */
export function processMemory(pid: number | 'self' = 'self'): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/**
 * CPU time a process has used so far, all its threads, user and system, in
 * milliseconds (/proc/PID/stat's utime and stime, in the kernel's fixed
 * 100 ticks a second): what serving costs the machine, whoever else runs.
 */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The machine's CPU time so far, all cores, in clock ticks: in all, and stolen by the hypervisor (the `steal` column of /proc/stat's `cpu` line). */
export function cpuTicks(): { total: number; steal: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user and nice)
  return { total: fields.slice(0, 8).reduce((t, n) => t + n, 0), steal: fields[7] ?? 0 };
}

/** The share of the CPU time between two cpuTicks() readings that the hypervisor took for other guests: figures measured under it are lower than the machine's own. */
export function stolenShare(from: { total: number; steal: number }, to: { total: number; steal: number }): number {
  const total = to.total - from.total;
  return total > 0 ? (to.steal - from.steal) / total : 0;
}

/** Peak resident set size of a process so far (bytes); 0 once it has gone (polling may outlive it). */
export function vmHwm(pid: number | 'self' = 'self'): number {
  try {
    return processMemory(pid).hwm || 0;
  } catch {
    return 0;
  }
}

export interface Measured {
  wallMs: number;
  peakBytes: number;
  exitCode: number | null;
  output: string;
}

export interface MeasureOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** The line in which the child reports its own peak, and the unit of its number. @default `peak-bytes N`, bytes */
  reported?: { pattern: RegExp; unit: number };
}

/**
 * Runs a command from spawn to exit, sampling its VmHWM every 20 ms; a child
 * that reports its own peak just before exiting (which polling can miss) is
 * taken at its word when that is larger.
 */
export function measure(command: string, args: string[], options: MeasureOptions): Promise<Measured> {
  const { pattern, unit } = options.reported ?? { pattern: /^peak-bytes (\d+)$/m, unit: 1 };
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, vmHwm(child.pid!))), 20);
    child.on('error', fail);
    child.on('exit', (code) => {
      clearInterval(poll);
      const wallMs = performance.now() - started;
      const own = pattern.exec(output);
      done({ wallMs, peakBytes: Math.max(peak, own ? Number(own[1]) * unit : 0), exitCode: code, output });
    });
  });
}

export const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MB`;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
