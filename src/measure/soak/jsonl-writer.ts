/**
 * The `--out soak.jsonl` writer: one JSON object a line, written with fs.writeSync so every line is in the
 * kernel's hands before the next event; a killed run loses at most the current checkpoint interval of
 * message counts (connection events are written as they happen).
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { SoakEvent } from '../../analyze/soak/events.js';

export interface JsonlWriter {
  write(ev: SoakEvent): void;
  close(): void;
}

export function openJsonlWriter(path: string): JsonlWriter {
  const fd = openSync(path, 'w');
  let open = true;
  return {
    write(ev) {
      if (!open) return;
      writeSync(fd, JSON.stringify(ev) + '\n');
      // Checkpoints and the end line also reach the disk, so a power cut keeps them too.
      if (ev.type === 'checkpoint' || ev.type === 'end') fsyncSync(fd);
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
