// Entry of the bulk build list parser's worker thread (see build-parser.ts). Node 20 cannot run
// TypeScript, and a worker does not inherit the main thread's loader: register tsx here, as
// bin/zhf.js does for the main thread, then run the TypeScript side.
import { register } from 'tsx/esm/api';

register();
await import('./build-parser-thread.ts');
