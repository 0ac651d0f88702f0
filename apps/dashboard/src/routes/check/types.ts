// Shapes of /api/check, /api/commits/:sha and /api/prs/:number as these pages read them.
import type { Range } from '$lib/types';

// The check report's shapes are the collector's own (type-only: nothing of it reaches the browser).
export type { CheckItem, CheckResult, CheckVerdict, HydraState } from '@zhf/collector/check/run';

export interface Failure {
  job: string;
  system: string;
  category: string;
  kind: string | null;
  buildId: number;
  range: Range | null;
  breakage: { id: number; state: string; claim: { by: string; prUrl: string | null } | null } | null;
}

export interface Landing {
  sha: string;
  jobset: string;
  oracle: string;
  newestEvalId: number | null;
  landed: { evalId: number; revision: string; timestamp: string; oracleCalls: number } | null;
  brokenBy: {
    eval: { id: number; revision: string | null; timestamp: string };
    excluded: number;
    narrowed: { source: string; before: number; after: number } | null;
    total: number;
    failures: Failure[];
  } | null;
}

export interface PrLanding extends Landing {
  pr: { number: number; title: string | null; url: string | null; merged: boolean; mergeCommitSha: string | null; baseRef: string };
}
