/**
 * The `--out soak.jsonl` writer: one JSON object a line, written with fs.writeSync so every line is in the
 * kernel's hands before the next event; a killed run loses at most the current checkpoint interval of
 * message counts (connection events are written as they happen).
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { ShardTag, SoakEvent } from '../../analyze/soak/events.js';
import { tagShard } from '../../analyze/soak/merge.js';

export interface JsonlWriter {
  write(ev: SoakEvent): void;
  close(): void;
}

/**
 * `onError` is told once when a write fails (disk full…); the soak goes on without the file. A sharded run
 * tags every line with its shard (`report` groups lines by run id and shard, whichever file holds them).
 */
export function openJsonlWriter(path: string, onError: (err: Error) => void = () => {}, shard?: ShardTag): JsonlWriter {
  const fd = openSync(path, 'w');
  let open = true;
  return {
    write(ev) {
      if (!open) return;
      try {
        writeSync(fd, JSON.stringify(shard ? tagShard(ev, shard) : ev) + '\n');
        // Checkpoints and the end line also reach the disk, so a power cut keeps them too.
        if (ev.type === 'checkpoint' || ev.type === 'end') fsyncSync(fd);
      } catch (err) {
        open = false;
        try {
          closeSync(fd);
        } catch {
          // already unusable
        }
        onError(err as Error);
      }
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
