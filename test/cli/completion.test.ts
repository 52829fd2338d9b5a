/**
 * Shell completion: the candidates (in-process through main) and the bash script end to end (bash runs the
 * completion function with COMP_WORDS as a shell would, calling the built CLI).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
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

  test('bash: the function completes profiles after --impair and schemes for the URL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqd-compl-'));
    const shim = join(dir, 'mqtt-doctor');
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(shim, 0o755);
    const script = spawnSync(process.execPath, [BIN, 'completion', 'bash'], { encoding: 'utf8' }).stdout;
    const run = (words: string[]) =>
      spawnSync(
        'bash',
        [
          '-c',
          `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _mqtt_doctor_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        {
          encoding: 'utf8',
          env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
          timeout: 20_000,
        },
      )
        .stdout.split('\n')
        .filter(Boolean);
    expect(run(['mqtt-doctor', 'probe', '--impair', '4'])).toEqual(['4g']);
    expect(run(['mqtt-doctor', 'probe', 'mqtts'])).toEqual(['mqtts://']);
  });
});
