import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '@zhf/collector/log';

export interface Job {
  name: string;
  cron: string;
  run(signal: AbortSignal): Promise<void>;
}

/**
 * Runs jobs on cron schedules (UTC) with node-cron. A run that is still going when its next
 * tick comes is not started twice; `stop` aborts the running ones and waits for them to end.
 */
export class Scheduler {
  private tasks: ScheduledTask[] = [];
  private byName = new Map<string, ScheduledTask>();
  private running = new Map<string, Promise<void>>();
  private abort = new AbortController();

  constructor(private log: Logger) {}

  add(job: Job): void {
    const task = cron.schedule(job.cron, () => this.trigger(job), { name: job.name, timezone: 'Etc/UTC', noOverlap: true });
    this.tasks.push(task);
    this.byName.set(job.name, task);
  }

  /** Starts `job` now unless a run of it is in progress; resolves when that run ends. */
  trigger(job: Job): Promise<void> {
    const current = this.running.get(job.name);
    if (current) {
      this.log.info('previous run still going; tick skipped', { job: job.name });
      return current;
    }
    const started = Date.now();
    const p = job.run(this.abort.signal)
      .then(() => this.log.info('scheduled run finished', { job: job.name, ms: Date.now() - started }))
      .catch((err) => this.log.error('scheduled run failed', { job: job.name, reason: err instanceof Error ? err.message : String(err) }))
      .finally(() => this.running.delete(job.name));
    this.running.set(job.name, p);
    return p;
  }

  /** When `name` is next due by its schedule; null when not scheduled here. */
  nextRun(name: string): Date | null {
    return this.byName.get(name)?.getNextRun() ?? null;
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.stop();
    this.abort.abort();
    await Promise.allSettled(this.running.values());
  }
}
