// A separate process for the data directory lock tests: takes the lock on argv[2] and holds it
// until SIGTERM (or releases it at once with `once`), printing `held <pid>` or `busy <message>`.
// With a file path as argv[4], prints `ready` and waits for that file first, so several start together.
import { existsSync } from 'node:fs';
import { acquireDataDirLock } from '../../../db/src/data-dir-lock.ts';

const [dir, mode, goFile] = process.argv.slice(2);
if (goFile) {
  process.stdout.write('ready\n');
  while (!existsSync(goFile)) await new Promise((r) => setTimeout(r, 1));
}
try {
  const lock = acquireDataDirLock(dir!, { command: 'lock-holder' });
  process.stdout.write(`held ${process.pid}\n`);
  if (mode === 'once') {
    lock.release();
    process.exit(0);
  }
  if (mode === 'advertise') lock.advertise('http://127.0.0.1:9/');
  process.on('SIGTERM', () => {
    lock.release();
    process.exit(0);
  });
  setInterval(() => {}, 60_000);
} catch (err) {
  process.stdout.write(`busy ${(err as Error).message}\n`);
  process.exit(3);
}
