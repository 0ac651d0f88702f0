// The HTTP API's shapes as the pages read them (SPEC section 5): the types of the schemas the
// routes declare their answers with (lib/api/schemas.ts), under the names the pages use.

import type { z } from 'zod';
import type * as S from './api/schemas.ts';

export { CATEGORIES, type Category, type Outcome } from '@zhf/db/verdict/table';

type Of<T extends z.ZodType> = z.output<T>;

/** A page of items: `items`, `total`, and the cursor of the next page (null: the last). */
export type Page<T> = Omit<Of<ReturnType<typeof S.pageOf<z.ZodUnknown>>>, 'items'> & { items: T[] };

export type Range = Of<typeof S.RangeSchema>;
export type EvalView = Of<typeof S.EvalSchema>;
/** How an eval's dependency failures trace back to roots. */
export type EvalRoots = Of<typeof S.EvalRootsSchema>;
export type Counts = EvalView['counts'];
export type GateItem = Of<typeof S.GateSchema>;
export type JobsetItem = Of<typeof S.JobsetSummarySchema>;
export type JobRow = Of<typeof S.JobRowSchema>;
export type Kind = NonNullable<JobRow['kind']>;
export type Claim = Of<typeof S.ClaimSchema>;
export type Breakage = Of<typeof S.BreakageSchema>;
/** The direct failure behind a dependency failure. */
export type RootCause = Of<typeof S.RootCauseSchema>;
export type BlockedJob = Of<typeof S.BlockedJobSchema>;
/** One root of `/api/roots`: a direct failure, what it blocks (the first 50 listed), and where. */
export type RootItem = Of<typeof S.RootSchema>;
/** A package maintainer from the channel's packages.json; `github` is null without a GitHub account. */
export type Maintainer = Of<typeof S.MaintainerSchema>;
export type MaintainerSummary = Of<typeof S.MaintainerSummarySchema>;
export type JobHistoryEntry = Of<typeof S.JobHistoryEntrySchema>;
export type JobHistory = Of<typeof S.JobHistorySchema>;
export type Trends = Of<typeof S.TrendsSchema>;
export type Roundup = Of<typeof S.RoundupSchema>;
export type PreflightItem = Of<typeof S.PreflightItemSchema>;
export type EvalRef = Of<typeof S.PreflightEvalRefSchema>;
export type PreflightReport = Of<typeof S.PreflightReportSchema>;
export type ImpactList = keyof PreflightReport['impact'];

/** The impact lists in the order the preflight page shows them. */
export const IMPACT_LISTS = ['atRisk', 'mayFix', 'pending', 'infra', 'new', 'newlyBroken', 'newlyFixed', 'stillFailing'] as const satisfies readonly ImpactList[];
