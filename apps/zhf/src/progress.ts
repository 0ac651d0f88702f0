/** A progress bar on a TTY, plain lines otherwise (logs and CI stay readable). */
export function createProgress(stream: NodeJS.WriteStream = process.stderr) {
  let lastLine = '';
  let lastPlain = 0;
  let lastDone = -1;
  return {
    update(done: number, total: number, label: string) {
      if (stream.isTTY) {
        const width = 30;
        const filled = total > 0 ? Math.round((done / total) * width) : 0;
        const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${label}`;
        stream.write(`\r${line.padEnd(lastLine.length)}`);
        lastLine = line;
      } else if (label !== lastLine || (done === total && done !== lastDone) || Date.now() - lastPlain > 5000) {
        // A new step, its end, or every 5 s: enough to follow a long run in a log.
        stream.write(`${done}/${total} ${label}\n`);
        lastLine = label;
        lastPlain = Date.now();
      }
      lastDone = done;
    },
    done() {
      if (stream.isTTY && lastLine) stream.write('\n');
    },
  };
}
