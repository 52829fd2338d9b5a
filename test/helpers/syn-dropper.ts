/**
 * A port whose SYNs go unanswered, on loopback: a listener with backlog 0 that never accepts (python3, which unlike
 * Node does not accept on its own), its queue filled by a few connections. Once the queue is full the kernel drops
 * further SYNs, which is what a filtering firewall looks like from the client: connect() neither succeeds nor fails.
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';

export interface SynDropper {
  port: number;
  close(): void;
}

export async function startSynDropper(): Promise<SynDropper> {
  const py = spawn(
    'python3',
    [
      '-c',
      'import socket,time\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const fillers: Socket[] = [];
  const close = () => {
    for (const f of fillers) f.destroy();
    py.kill('SIGKILL');
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      py.once('error', reject);
      py.once('exit', () => reject(new Error('python3 exited before it listened')));
      py.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    });
    for (let i = 0; i < 3; i += 1) fillers.push(connect({ port, host: '127.0.0.1' }).on('error', () => {}));
    // The fillers' handshakes complete in the kernel at once; give them a moment to take the queue.
    await new Promise((r) => setTimeout(r, 200));
    return { port, close };
  } catch (err) {
    close();
    throw err;
  }
}
