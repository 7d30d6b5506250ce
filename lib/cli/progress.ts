/** A one-line progress bar on stderr; on a non-terminal it prints each stage once. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): { update(stage: string, done: number, total: number): void; end(): void } {
  let last = '';
  let drawn = false;
  return {
    update(stage, done, total) {
      if (!stream.isTTY) {
        if (stage !== last) stream.write(`${stage}...\n`);
        last = stage;
        return;
      }
      const width = 30;
      const filled = total > 0 ? Math.round((done / total) * width) : 0;
      stream.write(`\r${stage.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
      drawn = true;
    },
    end() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
