/**
 * The README section "Running a soak on Kubernetes" stays true: every command line in it names files, objects
 * and keys that exist in deploy/kubernetes/, and the run it shows (its ConfigMap values in the Job's command
 * line) is accepted by mqtt-doctor's own parser. The `report` lines run for real in shard-job.test.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import {
  DEPLOY_DIR,
  ROOT,
  commandLine,
  configMapKeys,
  containerEnv,
  findJob,
  jobContainer,
  loadManifests,
  readmeCommands,
  readmeSection,
} from './k8s.js';

const manifests = loadManifests();
const job = findJob(manifests);
const container = jobContainer(job);
const reader = manifests.find((m) => m.obj.kind === 'Pod')!.obj as {
  metadata: { name: string };
  spec: { containers: Array<{ image: string; volumeMounts: Array<{ mountPath: string }> }> };
};
const commands = readmeCommands(readmeSection('kubernetes'));
const IMAGE = container.image;

/** `--from-literal=k=v` words → { k: v }. */
function literals(words: string[]): Record<string, string> {
  return Object.fromEntries(
    words
      .filter((w) => w.startsWith('--from-literal='))
      .map((w) => {
        const kv = w.slice('--from-literal='.length);
        return [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)];
      }),
  );
}

const find = (...prefix: string[]) => commands.filter((c) => prefix.every((p, i) => c[i] === p));

describe('README "Running a soak on Kubernetes"', () => {
  test('every command is one this test knows how to check', () => {
    expect(commands.length).toBeGreaterThan(10);
    for (const c of commands) expect(['docker', 'kubectl', 'npx'], c.join(' ')).toContain(c[0]);
  });

  test('docker build and push: the container file, its context and the image the manifests run', () => {
    const [build] = find('docker', 'build');
    const at = (flag: string) => build![build!.indexOf(flag) + 1]!;
    expect(existsSync(join(ROOT, at('-f')))).toBe(true);
    const context = build!.at(-1)!;
    expect(join(ROOT, context)).toBe(DEPLOY_DIR.replace(/\/$/, ''));
    expect(existsSync(join(ROOT, context, 'entrypoint.sh'))).toBe(true); // what the Containerfile COPYs
    expect(at('-t')).toBe(IMAGE);
    expect(find('docker', 'push').map((c) => c[2])).toEqual([IMAGE]);
    expect(reader.spec.containers[0]!.image).toBe(IMAGE);
  });

  test('kubectl apply/delete -f name files that exist', () => {
    const files = commands.filter((c) => c[0] === 'kubectl' && c.includes('-f')).map((c) => c[c.indexOf('-f') + 1]!);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(existsSync(join(ROOT, f)), f).toBe(true);
  });

  test('the Secret has the name and keys the Job reads', () => {
    const [secret] = find('kubectl', 'create', 'secret', 'generic');
    const refs = (container.env ?? []).map((e) => e.valueFrom?.secretKeyRef).filter((r) => r !== undefined);
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) expect(secret![4]).toBe(r.name);
    expect(Object.keys(literals(secret!)).sort()).toEqual(refs.map((r) => r.key).sort());
  });

  test('the ConfigMap has the name and exactly the keys the Job reads', () => {
    const [cm] = find('kubectl', 'create', 'configmap');
    expect(cm![3]).toBe('mqtt-doctor-run');
    expect(Object.keys(literals(cm!)).sort()).toEqual(configMapKeys(container, 'mqtt-doctor-run').sort());
    expect(find('kubectl', 'delete', 'configmap').map((c) => c[3])).toEqual([cm![3]]);
  });

  test('job, pod and path names match the manifests', () => {
    const jobName = job.metadata?.name;
    for (const c of commands.filter((x) => x.includes('-l')))
      expect(c[c.indexOf('-l') + 1]).toBe(`job-name=${jobName}`);
    expect(find('kubectl', 'get', 'job').map((c) => c[3])).toEqual([jobName]);
    expect(find('kubectl', 'delete', 'job').map((c) => c[3])).toEqual([jobName]);
    const mount = reader.spec.containers[0]!.volumeMounts[0]!.mountPath;
    expect(find('kubectl', 'cp').map((c) => c[2])).toEqual([`${reader.metadata.name}:${mount}`]);
  });

  test("the README's run, in the Job's command line, is accepted: shard 0 waits for the start time", async () => {
    const [cm] = find('kubectl', 'create', 'configmap');
    const run = literals(cm!);
    const env = containerEnv(container, {
      configMaps: { 'mqtt-doctor-run': run },
      secrets: {},
      injected: { JOB_COMPLETION_INDEX: '0' },
    });
    const [, ...args] = commandLine(container, env);
    const mount = (container.volumeMounts ?? []).find((m) => m.name === 'results')!.mountPath;
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'mqd-kube-readme-'));
    try {
      const local = args.map((a) => (a.startsWith(`${mount}/`) ? join(dir, a.slice(mount.length + 1)) : a));
      // In an empty network namespace: the README's broker is not contacted (nor its name resolved) even if
      // the wait were skipped. SIGTERM once it waits: every option was parsed and the shard plan accepted.
      const r = await runCli(local, {
        env: Object.fromEntries(env),
        wrap: ['unshare', '-n'],
        signal: { name: 'SIGTERM', whenStderr: 'waiting until' },
        timeoutMs: 30_000,
      });
      expect(r.stderr).toMatch(/shard 0\/4: clients 0–9999 of 40000/);
      // It waits for the README's start time, about 3 minutes ahead of when the ConfigMap was made.
      expect(r.stderr).toContain(`waiting until ${new Date(Number(run['start-at'])).toISOString()} to start`);
      expect(Number(run['start-at']) - Date.now()).toBeGreaterThan(60_000);
      expect(r.code).toBe(130);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('completions raised without MQTT_DOCTOR_SHARD_COUNT: the extra index exits 2, which fails the Job', async () => {
    const [cm] = find('kubectl', 'create', 'configmap');
    const count = Number(container.env?.find((e) => e.name === 'MQTT_DOCTOR_SHARD_COUNT')?.value);
    const env = containerEnv(container, {
      configMaps: { 'mqtt-doctor-run': literals(cm!) },
      secrets: {},
      injected: { JOB_COMPLETION_INDEX: String(count) }, // one index past the shard count
    });
    const [, ...args] = commandLine(container, env);
    const r = await runCli(args, { env: Object.fromEntries(env), wrap: ['unshare', '-n'], timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(2); // one line and its hint
    const rule = job.spec?.podFailurePolicy?.rules.find((x) => x.action === 'FailJob');
    expect(rule?.onExitCodes?.values).toContain(r.code);
  });
});
