// One home for verdicts (SPEC section 3): the rules as data, their TypeScript and SQL forms,
// and README's verdict tables.
export * from './table.ts';
export * from './pure.ts';
export * from './sql.ts';
export { renderVerdictTables } from './docs.ts';
