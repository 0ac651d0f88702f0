// Shapes of /api/check, /api/commits/:sha and /api/prs/:number as these pages read them.
import type { Range } from '$lib/types';

export type HydraState = 'failing' | 'green' | 'pending' | 'infra' | 'unknown';
export type CheckVerdict = 'already-broken' | 'likely-new' | 'pending' | 'unknown' | 'built';

export interface CheckItem {
  attr: string;
  system: string;
  job: string;
  reviewStatus?: string;
  hydra: HydraState;
  verdict: CheckVerdict;
  buildId: number | null;
  since?: { evalId: number; at: string };
  breakage?: { id: number; state: string; openedEvalId: number; claim: { by: string; prUrl: string | null } | null };
  lastVerdict?: { evalId: number; outcome: string } | null;
}

export interface CheckResult {
  jobset: string;
  evalId: number;
  revision: string | null;
  timestamp: string;
  pr?: number | null;
  items: CheckItem[];
  summary: { total: number; verdicts: Record<CheckVerdict, number>; builtButFailingOnHydra: number; skipped: number };
}

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
