export * from './hydra.ts';
export * from './breakages.ts';
export * from './users.ts';
export * from './maintainers.ts';
export * from './causes.ts';
export * from './logs.ts';
