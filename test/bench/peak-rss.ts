import { readFileSync } from 'node:fs';

/**
 * This process's peak RSS in bytes, its own: VmHWM on Linux, which exec resets. getrusage's
 * maxrss (process.resourceUsage().maxRSS) is no measure for a forked child: Linux carries the
 * parent's RSS at fork across exec into it, so a child of a bench process holding 360 MB
 * reports at least 360 MB whatever it uses itself.
 */
export function peakRss(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // Not Linux: getrusage is all there is.
  }
  return process.resourceUsage().maxRSS * 1024;
}
