/**
 * Reads the `.cpuprofile` files node's `--cpu-prof` writes (one per thread: the main thread has
 * thread id 0 in the file name, worker threads higher ids) and sums self time per function and
 * per module, so that a missed target can say where the server's time went. Only samples inside
 * a given window count, so start-up (module loading, session creation) stays out: profile
 * timestamps are microseconds of the monotonic clock, the one `process.hrtime` reads.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './child-process.js';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A span of the monotonic clock, in microseconds (`process.hrtime.bigint() / 1000n`). */
export interface ClockWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

/** Now on the profiler's clock. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Self time of one function or module. */
export interface SelfTime {
  readonly name: string;
  readonly selfMs: number;
  /** Share of the thread group's busy (non-idle) time, in percent. */
  readonly pct: number;
}

/** Where one group of threads spent its time. */
export interface ThreadProfile {
  readonly threads: 'main' | 'workers';
  readonly files: number;
  /** Sampled time in the window, idle included, summed over the group's threads. */
  readonly totalMs: number;
  readonly idleMs: number;
  readonly topFunctions: readonly SelfTime[];
  readonly topModules: readonly SelfTime[];
}

const NOT_BUSY = new Set(['(idle)', '(root)']);

/** The module a frame belongs to: a package, a file of ours, node's internals or a VM state. */
function moduleOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internals';
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
  if (pkg !== undefined) return pkg;
  return relative(REPO_ROOT, path);
}

function functionOf(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (frame.url === '') return name;
  return `${name} ${moduleOf(frame)}:${frame.lineNumber + 1}`;
}

function top(map: Map<string, number>, busyMs: number, count: number): SelfTime[] {
  return [...map]
    .filter(([name]) => !NOT_BUSY.has(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => ({ name, selfMs: Math.round(ms), pct: busyMs > 0 ? Math.round((ms / busyMs) * 1000) / 10 : 0 }));
}

/** Self time per node id of the samples inside the window, in ms (each sample owns the time since the previous one). */
function selfTimes(profile: CpuProfile, window: ClockWindow): Map<number, number> {
  const times = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < window.fromUs || at > window.toUs) return;
    times.set(id, (times.get(id) ?? 0) + delta / 1000);
  });
  return times;
}

function summarise(threads: ThreadProfile['threads'], profiles: readonly CpuProfile[], window: ClockWindow, count: number): ThreadProfile {
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const profile of profiles) {
    const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    for (const [id, ms] of selfTimes(profile, window)) {
      const frame = frames.get(id);
      if (frame === undefined) continue;
      totalMs += ms;
      if (frame.functionName === '(idle)') idleMs += ms;
      const fn = functionOf(frame);
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
      const mod = moduleOf(frame);
      byModule.set(mod, (byModule.get(mod) ?? 0) + ms);
    }
  }
  const busyMs = totalMs - idleMs;
  return { threads, files: profiles.length, totalMs: Math.round(totalMs), idleMs: Math.round(idleMs), topFunctions: top(byFunction, busyMs, count), topModules: top(byModule, busyMs, count) };
}

/** Summarises the window of every profile in `dir`: the main thread apart from the worker threads. */
export function summariseProfiles(dir: string, window: ClockWindow, count = 12): ThreadProfile[] {
  const main: CpuProfile[] = [];
  const workers: CpuProfile[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    // CPU.<date>.<time>.<pid>.<thread id>.<sequence>.cpuprofile
    const threadId = Number(file.split('.').at(-3));
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    (threadId === 0 ? main : workers).push(profile);
  }
  const result: ThreadProfile[] = [];
  if (main.length > 0) result.push(summarise('main', main, window, count));
  if (workers.length > 0) result.push(summarise('workers', workers, window, count));
  return result;
}
