/**
 * Asking a running soak for its summary: SIGUSR1 (`kill -USR1 <pid>`) always, and any key on an interactive
 * terminal. Raw mode swallows Ctrl-C, so a Ctrl-C byte is passed on as SIGINT to the CLI's one handler.
 * Returns the function that undoes all of it.
 */
export interface SoakKeysOptions {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  interactive: boolean;
  onSummary: () => void;
  /** Injected for tests; defaults to the process. */
  proc?: Pick<NodeJS.Process, 'on' | 'off' | 'kill' | 'pid'>;
}

export function watchSoakKeys(o: SoakKeysOptions): () => void {
  const proc = o.proc ?? process;
  const onUsr1 = () => o.onSummary();
  proc.on('SIGUSR1', onUsr1);
  const undo: Array<() => void> = [() => void proc.off('SIGUSR1', onUsr1)];
  const tty = o.stdin as NodeJS.ReadStream;
  if (o.interactive && tty.isTTY && typeof tty.setRawMode === 'function') {
    const onKey = (d: Buffer) => {
      // 0x03 is Ctrl-C (ETX) as raw mode delivers it.
      if (d.includes(3)) proc.kill(proc.pid, 'SIGINT');
      else o.onSummary();
    };
    tty.setRawMode(true);
    tty.on('data', onKey);
    tty.resume();
    undo.push(() => {
      tty.off('data', onKey);
      tty.setRawMode(false);
      tty.pause();
    });
  }
  return () => {
    for (const u of undo.reverse()) u();
  };
}
