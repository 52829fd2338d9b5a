/**
 * Shell completion: the candidates (in-process through main) and the bash and zsh scripts end to end (each shell
 * runs the completion function with its words as it would on Tab, calling the built CLI).
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { BIN, runMain } from '../helpers/cli.js';

const complete = async (...words: string[]) =>
  (await runMain(['__complete', ...words])).stdout.split('\n').filter(Boolean);

describe('candidates', () => {
  test.each<[string[], string[], string[]]>([
    [[''], ['probe', 'soak', 'keepalive-tune', 'explain-error', 'completion'], []],
    [['ke'], ['keepalive-tune'], ['probe']],
    [['probe', '--imp'], ['--impair'], []],
    [['probe', '--impair', ''], ['4g', 'satellite-geo', 'aws-nat'], []],
    [['impair', '--profile', 'sat'], ['satellite-geo', 'satellite-leo'], ['4g']],
    [['explain-error', '--client', 'pa'], ['paho-python', 'paho-go'], ['mqttjs']],
    [['keepalive-tune', '--client', ''], ['mqttjs'], []],
    [['probe', '-V', ''], ['3.1.1', '5'], []],
    [['probe', ''], ['mqtt://', 'mqtts://', 'ws://', 'wss://', 'tcp://', 'tls://'], []],
    [['soak', 'w'], ['ws://', 'wss://'], ['mqtt://']],
    [['probe', '--ca', ''], [], ['mqtt://']],
    [['soak', '--'], ['--clients', '--json', '--verbose'], []],
  ])('%j', async (words, has, hasNot) => {
    const got = await complete(...words);
    for (const h of has) expect(got).toContain(h);
    for (const h of hasNot) expect(got).not.toContain(h);
  });
});

describe('scripts', () => {
  test('completion bash | zsh prints a script that calls back into the CLI', async () => {
    const bash = await runMain(['completion', 'bash']);
    expect(bash.code).toBe(0);
    expect(bash.stdout).toMatch(/complete -F _mqtt_doctor_complete mqtt-doctor/);
    const zsh = await runMain(['completion'], { env: { SHELL: '/usr/bin/zsh' } });
    expect(zsh.stdout).toMatch(/^#compdef mqtt-doctor/);
  });

  // One shim directory and one generated script per shell for the whole file: generating the script is not what
  // the shell cases check (the test above does), and each generation was a node start.
  const shimDir = mkdtempSync(join(tmpdir(), 'mqd-compl-'));
  const shim = join(shimDir, 'mqtt-doctor');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(shim, 0o755);
  /** Run `file args` to its end without blocking this worker (the shell cases run at once). */
  const run = (file: string, args: string[], env?: NodeJS.ProcessEnv) =>
    new Promise<{ stdout: string; stderr: string; status: number | null }>((resolve) => {
      execFile(file, args, { encoding: 'utf8', env, timeout: 50_000 }, (err, stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code;
        resolve({ stdout, stderr, status: err ? (typeof code === 'number' ? code : null) : 0 });
      });
    });
  const scripts = new Map<string, Promise<string>>();
  const scriptFor = (shell: 'bash' | 'zsh') => {
    let script = scripts.get(shell);
    if (script === undefined) {
      script = run(process.execPath, [BIN, 'completion', shell]).then((r) => r.stdout);
      scripts.set(shell, script);
    }
    return script;
  };

  /** Run `body` in `shell` after the generated script, with `mqtt-doctor` on PATH as the built CLI. */
  const inShell = async (shell: 'bash' | 'zsh', args: string[], body: string) => {
    const script = await scriptFor(shell);
    const r = await run(shell, [...args, '-c', body.replace('SCRIPT', () => script)], {
      ...process.env,
      PATH: `${shimDir}:${process.env.PATH}`,
    });
    return { lines: r.stdout.split('\n').filter(Boolean), stderr: r.stderr, status: r.status };
  };
  const quoted = (words: string[]) => words.map((w) => `'${w}'`).join(' ');

  test.concurrent('bash: the function completes profiles after --impair and schemes for the URL', async () => {
    const bash = async (words: string[]) =>
      (
        await inShell(
          'bash',
          [],
          `SCRIPT\nCOMP_WORDS=(${quoted(words)}); COMP_CWORD=${words.length - 1}; _mqtt_doctor_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
        )
      ).lines;
    const [impair, scheme] = await Promise.all([
      bash(['mqtt-doctor', 'probe', '--impair', '4']),
      bash(['mqtt-doctor', 'probe', 'mqtts']),
    ]);
    expect(impair).toEqual(['4g']);
    expect(scheme).toEqual(['mqtts://']);
  });

  // zsh -f: no user rc files. compinit loads the completion system (compdef). Its first run scans every function
  // directory (2-6 s here, most of this file's time when each case paid it): it runs once, in beforeAll, and
  // writes a dump that each case loads with -C (no rescan; the same _comps table, the same compdef). Outside a
  // Tab press compadd cannot add, so a stand-in prints what the function offers (after its `--`).
  const dump = join(shimDir, 'zcompdump');
  beforeAll(() => {
    const r = spawnSync('zsh', ['-f', '-c', `autoload -U compinit && compinit -u -d '${dump}'`], {
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  }, 60_000);
  const ZSH_BODY = `autoload -U compinit && compinit -u -C -d '${dump}'
SCRIPT
print -r -- "registered: \${_comps[mqtt-doctor]}"
compadd() { while (( $# )) && [[ $1 != -- ]]; do shift; done; shift; print -l -- "$@"; }
_files() { print -r -- '<files>'; }
words=(WORDS); CURRENT=\${#words}; _mqtt_doctor_complete`;
  const zsh = (words: string[]) =>
    inShell(
      'zsh',
      ['-f'],
      ZSH_BODY.replace('WORDS', () => quoted(words)),
    );

  test.concurrent('zsh: the script loads in zsh -f and registers itself with compdef', async () => {
    const r = await zsh(['mqtt-doctor', 'pro']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.lines[0]).toBe('registered: _mqtt_doctor_complete');
  }, 60_000);

  test.concurrent.each<[string, string[], string[]]>([
    ['a subcommand', ['mqtt-doctor', 'keep'], ['keepalive-tune']],
    ['a profile name after --impair', ['mqtt-doctor', 'probe', '--impair', 'sat'], ['satellite-geo', 'satellite-leo']],
    ['a scheme for the URL', ['mqtt-doctor', 'soak', 'mqtts'], ['mqtts://']],
    ['files where no list applies', ['mqtt-doctor', 'probe', '--ca', ''], ['<files>']],
  ])(
    'zsh: completes %s',
    async (_n, words, expected) => {
      expect((await zsh(words)).lines.slice(1)).toEqual(expected);
    },
    60_000,
  );
});
