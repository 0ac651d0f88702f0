import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HydraClient, LOG_TAIL_BYTES } from '../../apps/collector/src/hydra/client.ts';
import { startHydraSim, type RunningHydraSim } from '@zhf/sim';
import { newSim } from '../support/collector.ts';

// The client's logTail against the simulated Hydra over HTTP: Hydra's own tail, and the whole
// log from the binary cache that hydra.nixos.org redirects to.
describe('HydraClient.logTail', () => {
  let srv: RunningHydraSim;
  let client: HydraClient;
  let drv: string;
  let text: string;
  beforeAll(async () => {
    const sim = newSim(Date.UTC(2026, 10, 2) / 1000);
    const e = sim.eval(sim.jobset('logclient', 'unstable'), { jobs: { 'big.x86_64-linux': 'failure' } });
    const id = e.buildOf('big.x86_64-linux');
    drv = sim.getBuild(id)!.drvpath;
    // Over LOG_TAIL_BYTES, with multi-byte characters so that the cut can fall inside one.
    const lines: string[] = [];
    for (let i = 0; lines.length * 60 < LOG_TAIL_BYTES * 1.5; i++) lines.push(`${i} ünïcödé ✓ compiling module ${i} of the ${'€'.repeat(i % 7)} thing`);
    text = `${lines.join('\n')}\n`;
    sim.setLog(id, text);
    srv = await startHydraSim(sim, { rateLimit: false });
    client = new HydraClient({ baseUrl: srv.url, userAgent: 'zhf-test (+http://127.0.0.1)', rps: 1000, burst: 1000, retryBaseMs: 5 });
  });
  afterAll(async () => {
    client?.close();
    await srv?.close();
  });

  it('Hydra tails the log itself: the last n lines, and only those cross the wire', async () => {
    const before = client.stats.bytes.get('log') ?? 0;
    expect(await client.logTail(drv, 3)).toEqual(text.trimEnd().split('\n').slice(-3));
    expect((client.stats.bytes.get('log') ?? 0) - before).toBeLessThan(1000);
  });

  it('the binary cache sends the whole log: its end is kept, whole lines only', async () => {
    srv.config.logsInCache = true;
    try {
      const before = client.stats.bytes.get('log') ?? 0;
      const got = await client.logTail(drv, 500);
      expect(got).toEqual(text.trimEnd().split('\n').slice(-500));
      expect((client.stats.bytes.get('log') ?? 0) - before).toBe(Buffer.byteLength(text));
      // More lines than the kept bytes hold: the first kept line is a whole one.
      const all = text.trimEnd().split('\n');
      const most = await client.logTail(drv, 1_000_000);
      expect(most.length).toBeLessThan(all.length);
      expect(most).toEqual(all.slice(-most.length));
      expect(Buffer.byteLength(most.join('\n'))).toBeGreaterThan(LOG_TAIL_BYTES - 200);
    } finally {
      srv.config.logsInCache = false;
    }
  });

  it('an unknown derivation is Hydra\'s 404, in either mode', async () => {
    const nope = '/nix/store/00000000000000000000000000000000-nope-1.0.drv';
    await expect(client.logTail(nope, 5)).rejects.toMatchObject({ status: 404 });
    srv.config.logsInCache = true;
    try {
      await expect(client.logTail(nope, 5)).rejects.toMatchObject({ status: 404 });
    } finally {
      srv.config.logsInCache = false;
    }
  });
});
