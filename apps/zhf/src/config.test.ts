import { describe, expect, it } from 'vitest';
import { ConfigError, DEMO_DEFAULTS, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('takes ZHF_LOG_LEVEL, info by default', () => {
    expect(loadConfig({}).logLevel).toBe('info');
    expect(loadConfig({ ZHF_LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
  });

  it('refuses a ZHF_LOG_LEVEL typo with one line naming the variable', () => {
    expect(() => loadConfig({ ZHF_LOG_LEVEL: 'verbose' })).toThrow(ConfigError);
    expect(() => loadConfig({ ZHF_LOG_LEVEL: 'verbose' })).toThrow('invalid configuration: ZHF_LOG_LEVEL: must be one of debug, info, warn, error');
  });

  it('lets the environment win over the demo defaults, an empty value counting as unset', () => {
    expect(loadConfig({}, DEMO_DEFAULTS)).toMatchObject({ dataDir: './data/demo', backfillEvals: 40 });
    expect(loadConfig({ ZHF_DATA_DIR: '', ZHF_BACKFILL_EVALS: '3' }, DEMO_DEFAULTS)).toMatchObject({ dataDir: './data/demo', backfillEvals: 3 });
    expect(loadConfig({ ZHF_DATA_DIR: '/srv/zhf' }, DEMO_DEFAULTS).dataDir).toBe('/srv/zhf');
  });

  it('takes the jobset pattern the API and the command line take', () => {
    expect(() => loadConfig({ ZHF_JOBSETS: 'nixpkgs/unstable,nixpkgs' })).toThrow('ZHF_JOBSETS');
  });
});
