export * from './ingest.ts';
export * from './verdicts.ts';
export * from './breakages.ts';
export * from './sql-fragments.ts';
export type { Db, Database } from '../client.ts';
export * from './preflight.ts';
export * from './roundups.ts';
