/**
 * CPU time and memory of another process, from Linux's /proc: CPU as utime + stime of all its
 * threads, memory as the resident set sampled every 100 ms (VmHWM only ever grows, so it cannot
 * give a per-scenario peak). The whole machine's busy time is read alongside: on a shared machine
 * it tells how much of the CPU went to processes outside the benchmark.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

let clockTicks: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times (almost always 100). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system, every thread) the process has used so far. */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses; the fields after its closing ')' do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name (0-based: 11, 12).
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** CPU seconds the whole machine has been busy (every core; idle and iowait excluded). */
export function readMachineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal ...
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / ticksPerSecond();
}

function readStatusKb(pid: number, field: 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1];
  return Number(kb ?? Number.NaN);
}

/** Resident set size now, in MiB. */
export function readRssMiB(pid: number): number {
  return readStatusKb(pid, 'VmRSS') / 1024;
}

/** The median of the resident set sampled every `everyMs` for `durationMs`, in MiB: a steadier idle figure than one read. */
export async function medianRssMiB(pid: number, durationMs = 1000, everyMs = 50): Promise<number> {
  const samples: number[] = [];
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    samples.push(readRssMiB(pid));
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor((samples.length - 1) / 2)] ?? readRssMiB(pid);
}

/** One resident-set sample, `tMs` after the window opened. */
export interface RssSample {
  readonly tMs: number;
  readonly mib: number;
}

/** What a process used over one measuring window. */
export interface ResourceUsage {
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** Average cores busy: CPU seconds per wall-clock second. */
  readonly cpuCores: number;
  /** Average cores busy on the whole machine, this process and every other one included. */
  readonly machineCores: number;
  /** Largest sampled resident set, in MiB. */
  readonly maxRssMiB: number;
  readonly rssSamples: readonly RssSample[];
}

/** An open measuring window on one process; `close()` stops sampling and sums up. */
export class UsageWindow {
  readonly #pid: number;
  readonly #startedAt = performance.now();
  readonly #startCpu: number;
  readonly #startMachine = readMachineBusySeconds();
  readonly #samples: RssSample[] = [];
  readonly #timer: NodeJS.Timeout;
  #result: ResourceUsage | undefined;

  constructor(pid: number, sampleEveryMs = 100) {
    this.#pid = pid;
    this.#startCpu = readCpuSeconds(pid);
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), sampleEveryMs);
    this.#timer.unref();
  }

  /** Ends the window (idempotent) and returns the process's usage over it. */
  close(): ResourceUsage {
    if (this.#result !== undefined) return this.#result;
    clearInterval(this.#timer);
    this.#sample();
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const cpuSeconds = readCpuSeconds(this.#pid) - this.#startCpu;
    const machineSeconds = readMachineBusySeconds() - this.#startMachine;
    const maxRssMiB = this.#samples.reduce((max, s) => Math.max(max, s.mib), 0);
    const perSecond = (value: number): number => (seconds > 0 ? value / seconds : 0);
    this.#result = { seconds, cpuSeconds, cpuCores: perSecond(cpuSeconds), machineCores: perSecond(machineSeconds), maxRssMiB, rssSamples: this.#samples };
    return this.#result;
  }

  #sample(): void {
    try {
      this.#samples.push({ tMs: Math.round(performance.now() - this.#startedAt), mib: Math.round(readRssMiB(this.#pid) * 10) / 10 });
    } catch {
      // The process exited; the samples so far stand.
    }
  }
}

/** CPU the current process uses over a window, as cores (user + system, every thread). */
export function selfCpuWindow(): () => number {
  const start = process.cpuUsage();
  const at = performance.now();
  return () => {
    const used = process.cpuUsage(start);
    const seconds = (performance.now() - at) / 1000;
    return seconds > 0 ? (used.user + used.system) / 1e6 / seconds : 0;
  };
}
