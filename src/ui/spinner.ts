/**
 * A status indicator on stderr: an ora spinner on an interactive terminal, otherwise plain lines at most
 * every `plainEveryMs` (a CI log gets a line a minute, not a repaint per frame). ora is imported lazily so
 * `--help` stays fast.
 */
import type { Output } from './output.js';

export interface Status {
  update(text: string): void;
  /** Print a line above the spinner without disturbing it. */
  line(text: string): void;
  stop(): void;
}

export async function startStatus(out: Output, initial: string, plainEveryMs = 60_000): Promise<Status> {
  if (out.interactive) {
    const { default: ora } = await import('ora');
    const spinner = ora({ text: out.redact(initial), stream: out.stderr, discardStdin: false }).start();
    return {
      update: (text) => {
        spinner.text = out.redact(text);
      },
      line: (text) => {
        spinner.clear();
        out.progress(text);
        spinner.render();
      },
      stop: () => {
        spinner.stop();
      },
    };
  }
  let last = 0;
  return {
    update: (text) => {
      const now = Date.now();
      if (last === 0 || now - last >= plainEveryMs) {
        last = now;
        out.progress(text);
      }
    },
    line: (text) => out.progress(text),
    stop: () => {},
  };
}
