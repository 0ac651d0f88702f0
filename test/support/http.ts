// Tests serve their own fakes (GitHub, OAuth) the way the simulated Hydra is served.
export { serveLocal, type LocalServer } from '@zhf/sim';
