import type { Db } from '@zhf/db';
import { packageSource, recordSourceCheck, replaceAttribution } from '@zhf/db/queries';
import type { HydraClient } from '../hydra/client.ts';
import { silentLogger, type Logger } from '../log.ts';
import { fetchPackagesJson } from './source.ts';

export type RefreshResult =
  | { kind: 'unchanged'; key: string }
  | { kind: 'read'; key: string; release: string | null; packages: number; attributed: number; ms: number }
  | { kind: 'failed'; error: string };

/**
 * Brings a jobset's attribution up to the channel's current packages.json: nothing is downloaded
 * while the channel stays on the revision already read. Any failure (network, a truncated body,
 * an unknown format) is recorded on the source and leaves the previous attribution in place.
 */
export async function refreshMaintainers(
  db: Db, client: HydraClient, a: { jobsetId: number; ref: string; url: string; now?: () => Date; log?: Logger },
): Promise<RefreshResult> {
  const log = a.log ?? silentLogger;
  const now = a.now ?? (() => new Date());
  const started = Date.now();
  const known = await packageSource(db, a.jobsetId);
  // A source moved to another URL is read afresh.
  const knownKey = known && known.url === a.url ? known.revisionKey : null;
  try {
    const r = await fetchPackagesJson(client, a.url, knownKey);
    if (r.kind === 'unchanged') {
      await recordSourceCheck(db, a.jobsetId, a.url, now(), null);
      return { kind: 'unchanged', key: r.revision.key };
    }
    await replaceAttribution(db, a.jobsetId, {
      url: a.url, revisionKey: r.revision.key, release: r.revision.release, packages: r.file.packages, now: now(),
    }, r.file.attributed);
    const ms = Date.now() - started;
    log.info('maintainers read from packages.json', { jobset: a.ref, release: r.revision.release, packages: r.file.packages, attributed: r.file.attributed.length, ms });
    return { kind: 'read', key: r.revision.key, release: r.revision.release, packages: r.file.packages, attributed: r.file.attributed.length, ms };
  } catch (err) {
    const error = `packages.json for ${a.ref} from ${a.url}: ${err instanceof Error ? err.message : String(err)}`;
    log.warn('maintainers not updated; the previous attribution stays', { jobset: a.ref, reason: error });
    await recordSourceCheck(db, a.jobsetId, a.url, now(), error);
    return { kind: 'failed', error };
  }
}
