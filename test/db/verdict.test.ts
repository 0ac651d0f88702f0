// The SQL verdict fragments against their pure twins, over every status code (Hydra's 0-13,
// unknown ones, null) and both values of `finished`, on each driver: the SQL the queries run
// decides exactly what the table and the TypeScript say.
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { jsonParam, queryRows } from '../../db/src/index.ts';
import {
  BASELINES, OUTCOMES, STATUSES, categoryOf, categorySql, comparedBaseline, comparedBaselineSql, hasVerdict, hasVerdictSql,
  failedSql, isFailedBuild, kindSql, outcomeOf, outcomeSql, type Baseline, type Outcome,
} from '../../db/src/verdict/index.ts';
import { describeEachDriver } from '../support/db.ts';

const CODES: (number | null)[] = [...STATUSES.map((s) => s.code), 14, 99, -1, 32767, null];
const BUILDS = [0, 1].flatMap((finished) => CODES.map((status) => ({ finished, status })));

describeEachDriver('verdict SQL equals its pure twin', (get) => {
  it('covers every status code Hydra defines', () => {
    expect(STATUSES.map((s) => s.code)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });

  it('classifies every (finished, status) as outcomeOf, hasVerdict and isFailedBuild do', async () => {
    const rows = await queryRows<{ finished: number; status: number | null; outcome: string; kind: string | null; verdict: boolean; failed: boolean }>(get().db, sql`
      select b.finished, b.status, ${outcomeSql('b')} as outcome, ${kindSql('b')} as kind,
        ${hasVerdictSql('b')} as verdict, ${failedSql('b')} as failed
      from jsonb_to_recordset(${jsonParam(BUILDS)}) as b(finished smallint, status smallint)`);
    expect(rows.map((r) => ({ finished: Number(r.finished), status: r.status === null ? null : Number(r.status), outcome: r.outcome, kind: r.kind, verdict: r.verdict, failed: r.failed })))
      .toEqual(BUILDS.map(({ finished, status }) => ({
        finished, status, ...outcomeOf(finished, status), verdict: hasVerdict(finished, status), failed: isFailedBuild(finished, status),
      })));
  });

  it('reads the same columns from the builds table', async () => {
    // The fragments run on smallint columns of a real table too, not only on a recordset.
    const db = get().db;
    await db.execute(sql`create table verdict_builds (finished smallint not null, status smallint)`);
    await db.execute(sql`insert into verdict_builds select * from jsonb_to_recordset(${jsonParam(BUILDS)}) as b(finished smallint, status smallint)`);
    const rows = await queryRows<{ finished: number; status: number | null; outcome: string; kind: string | null }>(db, sql`
      select finished, status, ${outcomeSql('verdict_builds')} as outcome, ${kindSql('verdict_builds')} as kind from verdict_builds`);
    for (const r of rows) expect({ outcome: r.outcome, kind: r.kind }).toEqual(outcomeOf(Number(r.finished), r.status === null ? null : Number(r.status)));
    expect(rows).toHaveLength(BUILDS.length);
  });

  it('categorises every (outcome, baseline) as categoryOf does', async () => {
    const pairs = [...OUTCOMES, null].flatMap((o) => BASELINES.map((b) => ({ o, b })));
    const rows = await queryRows<{ o: Outcome | null; b: Baseline; category: string | null }>(get().db, sql`
      select x.o, x.b, ${categorySql(sql`x.o`, sql`x.b`)} as category from jsonb_to_recordset(${jsonParam(pairs)}) as x(o text, b text)`);
    expect(rows).toEqual(pairs.map(({ o, b }) => ({ o, b, category: categoryOf(o, b) })));
  });

  it('takes the baseline of a compared build as comparedBaseline does', async () => {
    const sides = [...OUTCOMES, null].map((o) => ({ o }));
    const rows = await queryRows<{ o: Outcome | null; baseline: string }>(get().db, sql`
      select x.o, ${comparedBaselineSql(sql`x.o`, sql`x.o is not null`)} as baseline from jsonb_to_recordset(${jsonParam(sides)}) as x(o text)`);
    expect(rows).toEqual(sides.map(({ o }) => ({ o, baseline: comparedBaseline(o) })));
  });
});
