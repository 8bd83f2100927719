// Small statistics and sampling helpers shared by the benchmarks.
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { Owner } from './seed';

export const MB = 1024 * 1024;

export const log = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile (p in 0..100): a value that was really measured. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const r1 = (x: number): number => Math.round(x * 10) / 10;
export const r2 = (x: number): number => Math.round(x * 100) / 100;

export const med = <T>(xs: T[], f: (x: T) => number | undefined): number =>
  median(xs.map(f).filter((v): v is number => v !== undefined));

export function roundAll<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = typeof v === 'number' && !Number.isInteger(v) ? r2(v) : v;
  return out as T;
}

/** Dovecot's mail uid/gid when running as root (the seeds' files must belong to it). */
export function mailOwner(): Owner | null {
  if (process.getuid?.() !== 0) return null;
  for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === 'dovecot' && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return null;
}

export function getGc(): { gc: (() => void) | null; method: string } {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return { gc: g, method: '--expose-gc' };
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    if (typeof fn === 'function') return { gc: fn as () => void, method: 'v8.setFlagsFromString(--expose-gc)' };
  } catch {
    /* fall through */
  }
  return { gc: null, method: 'none (heap numbers include garbage)' };
}

/** Runs `fn` once unrecorded, then `reps` times; returns the samples. */
export async function sampled<T>(name: string, reps: number, fn: () => Promise<T>): Promise<T[]> {
  await fn();
  const out: T[] = [];
  for (let i = 0; i < reps; i++) out.push(await fn());
  log(`  ${name}: ${out.length} samples`);
  return out;
}

/**
 * One unrecorded round, then `reps` rounds of core and raw samples, interleaved (alternating which
 * goes first) so that drifting machine load hits both alike.
 */
export async function paired<C, R>(name: string, reps: number, core: () => Promise<C>, raw: () => Promise<R>): Promise<{ core: C[]; raw: R[] }> {
  await core();
  await raw();
  const out = { core: [] as C[], raw: [] as R[] };
  for (let i = 0; i < reps; i++) {
    if (i % 2 === 0) {
      out.core.push(await core());
      out.raw.push(await raw());
    } else {
      out.raw.push(await raw());
      out.core.push(await core());
    }
  }
  log(`  ${name}: ${reps} samples each`);
  return out;
}
