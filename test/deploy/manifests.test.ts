/**
 * deploy/kubernetes/: every manifest parses and validates against the Kubernetes schema (kubernetes-models),
 * the validator rejects a broken manifest, the Job is wired the way a sharded soak needs, and the container file
 * installs this package's version. No container engine runs here: the image is not built by these tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  DEPLOY_DIR,
  ROOT,
  commandLine,
  containerEnv,
  expandRefs,
  findJob,
  jobContainer,
  loadManifests,
  validateObject,
  type Manifest,
} from './k8s.js';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';

const manifests = loadManifests();
const job = findJob(manifests);
const container = jobContainer(job);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  engines: { node: string };
};
const containerfile = readFileSync(join(DEPLOY_DIR, 'Containerfile'), 'utf8');
const ENTRYPOINT = join(DEPLOY_DIR, 'entrypoint.sh');

/** The pod spec of a Pod or of a Job's template. */
function podSpec(m: Manifest): IPodSpec | undefined {
  if (m.obj.kind === 'Job') return (m.obj as unknown as IJob).spec?.template.spec;
  if (m.obj.kind === 'Pod') return (m.obj as unknown as IPod).spec;
  return undefined;
}

/** `ARG NAME=value` of the container file. */
function arg(name: string): string | undefined {
  return new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(containerfile)?.[1];
}

describe('deploy/kubernetes manifests', () => {
  test('the folder holds the Job, the results claim and the reader pod', () => {
    expect(manifests.map((m) => `${m.file}#${m.index} ${String(m.obj.kind)}`)).toEqual([
      'job.yaml#0 Job',
      'results.yaml#0 PersistentVolumeClaim',
      'results.yaml#1 Pod',
    ]);
  });

  test.each(manifests.map((m) => [`${m.file}#${m.index}`, m.obj] as const))(
    '%s validates against the Kubernetes schema',
    (_name, obj) => {
      expect(() => validateObject(obj)).not.toThrow();
    },
  );

  // The validator must bite: one wrong field type or value each, every one rejected with its JSON path.
  type Edit = (j: IJob, c: IContainer) => unknown;
  const breakJob = (edit: Edit) => {
    const copy = structuredClone(job);
    edit(copy, copy.spec!.template.spec!.containers[0]!);
    return copy as unknown as Record<string, unknown>;
  };
  const wrong = (v: unknown) => v as never; // a value of the wrong type, on purpose
  test.each<[string, Edit, string]>([
    ['completions as a string', (j) => (j.spec!.completions = wrong('4')), '/spec/completions'],
    ['parallelism as a string', (j) => (j.spec!.parallelism = wrong('four')), '/spec/parallelism'],
    ['an unknown completionMode', (j) => (j.spec!.completionMode = wrong('indexed')), '/spec/completionMode'],
    ['args as one string', (_j, c) => (c.args = wrong('soak')), '/args'],
    ['an env value as a number', (_j, c) => (c.env![0]!.value = wrong(4)), '/env/0/value'],
    ['a memory limit that is no quantity', (_j, c) => (c.resources!.limits!.memory = '1 GiB'), '/limits/memory'],
    [
      'a restartPolicy that does not exist',
      (j) => (j.spec!.template.spec!.restartPolicy = wrong('Sometimes')),
      '/restartPolicy',
    ],
    ['a container without a name', (_j, c) => delete (c as Partial<IContainer>).name, 'name'],
  ])('a Job with %s fails validation', (_what, edit, path) => {
    expect(() => validateObject(breakJob(edit))).toThrow(path);
  });

  test('a kind without a validator is an error, never skipped', () => {
    expect(() => validateObject({ apiVersion: 'v1', kind: 'Service' })).toThrow(/no validator for v1\/Service/);
  });
});

describe('the Indexed Job runs one shard per completion index', () => {
  const env = new Map((container.env ?? []).map((e) => [e.name, e] as const));

  test('Indexed, all shards at once, a failed shard is not rerun', () => {
    expect(job.spec?.completionMode).toBe('Indexed');
    expect(job.spec?.completions).toBeGreaterThan(1);
    // Shards start together at --start-at: a shard that waited for a free slot would start late.
    expect(job.spec?.parallelism).toBe(job.spec?.completions);
    expect(job.spec?.backoffLimitPerIndex).toBe(0);
    // A usage error (exit 2) is the same in every shard: it stops the whole Job.
    expect(job.spec?.podFailurePolicy?.rules).toContainEqual({
      action: 'FailJob',
      onExitCodes: { containerName: container.name, operator: 'In', values: [2] },
    });
    expect(job.spec?.template.spec?.restartPolicy).toBe('Never');
    expect(job.spec?.activeDeadlineSeconds).toBeGreaterThan(0);
  });

  test('MQTT_DOCTOR_SHARD_COUNT is the number of completions', () => {
    expect(env.get('MQTT_DOCTOR_SHARD_COUNT')?.value).toBe(String(job.spec?.completions));
  });

  test('--run-id and --start-at are common to every shard (from the run ConfigMap, never per pod)', () => {
    const args = container.args ?? [];
    for (const flag of ['--run-id', '--start-at']) {
      const value = args[args.indexOf(flag) + 1] ?? '';
      expect(args).toContain(flag);
      const ref = /^\$\((\w+)\)$/.exec(value)?.[1];
      expect(ref, `${flag} ${value}`).toBeDefined();
      // A fieldRef (pod name, uid) would differ per shard and split the run.
      expect(env.get(ref!)?.valueFrom?.configMapKeyRef?.name).toBe('mqtt-doctor-run');
    }
  });

  test('each shard writes its own file on the shared results volume', () => {
    const args = container.args ?? [];
    const out = args[args.indexOf('--out') + 1] ?? '';
    expect(out).toContain('{shard}');
    const mount = (container.volumeMounts ?? []).find((m) => out.startsWith(`${m.mountPath}/`));
    expect(mount, `a volume mounted above ${out}`).toBeDefined();
    const volume = job.spec?.template.spec?.volumes?.find((v) => v.name === mount!.name);
    const claim = volume?.persistentVolumeClaim?.claimName;
    const pvc = manifests.find((m) => m.obj.kind === 'PersistentVolumeClaim')?.obj as unknown as IPersistentVolumeClaim;
    expect(claim).toBe(pvc.metadata?.name);
    expect(pvc.spec?.accessModes).toEqual(['ReadWriteMany']);
    // The reader pod mounts the same claim, so `kubectl cp` can fetch what the finished shards wrote.
    const reader = manifests.find((m) => m.obj.kind === 'Pod')!;
    expect(podSpec(reader)?.volumes?.map((v) => v.persistentVolumeClaim?.claimName)).toContain(claim);
  });

  test('credentials come from a Secret through the environment, never from args or literal values', () => {
    const text = JSON.stringify(container.args ?? []);
    expect(text).not.toMatch(/password|--username|"-u"|"-P"|@/i);
    for (const name of ['MQTT_DOCTOR_USERNAME', 'MQTT_DOCTOR_PASSWORD']) {
      expect(env.get(name)?.value).toBeUndefined();
      expect(env.get(name)?.valueFrom?.secretKeyRef?.name).toBe('mqtt-doctor-broker');
    }
    const literal = (container.env ?? []).filter((e) => e.value !== undefined).map((e) => e.name);
    expect(literal.filter((n) => /PASS|SECRET|TOKEN/i.test(n))).toEqual([]);
  });

  test('a memory request and limit, a CPU request and no CPU limit', () => {
    expect(container.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources?.limits?.memory).toBe(container.resources?.requests?.memory);
    expect(container.resources?.limits?.cpu).toBeUndefined();
  });

  test('non-root as the image user; the entry point the Job calls is the one the image installs', () => {
    const user = /^USER (\d+):(\d+)$/m.exec(containerfile);
    expect(user).not.toBeNull();
    expect(Number(user![1])).toBeGreaterThan(0);
    for (const m of manifests.filter((x) => x.obj.kind !== 'PersistentVolumeClaim')) {
      expect(podSpec(m)?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(user![1]) });
    }
    const installed = /^COPY entrypoint\.sh (\S+)$/m.exec(containerfile)?.[1];
    expect(container.command).toEqual([installed]);
    expect(containerfile).toMatch(new RegExp(`^ENTRYPOINT \\["${installed}"\\]$`, 'm'));
  });
});

describe('the container file', () => {
  test('installs the published package at package.json version, on the oldest supported Node', () => {
    expect(arg('MQTT_DOCTOR_VERSION')).toBe(pkg.version);
    expect(containerfile).toMatch(/^RUN npm install --global .*"mqtt-doctor@\$\{MQTT_DOCTOR_VERSION\}"/m);
    expect(arg('NODE_VERSION')).toBe(/^>=\s*(\d+)/.exec(pkg.engines.node)?.[1]);
    expect(containerfile).toMatch(/^FROM \S*node:\$\{NODE_VERSION\}-\S*slim$/m);
  });

  test('the image the manifests run is tagged with that version', () => {
    const images = manifests.flatMap((m) => (podSpec(m)?.containers ?? []).map((c) => String(c.image)));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toMatch(new RegExp(`/mqtt-doctor:${pkg.version.replace(/\./g, '\\.')}$`));
  });
});

describe('$(VAR) expansion as the kubelet does it', () => {
  const vars = new Map([
    ['A', 'x'],
    ['B', 'y y'],
  ]);
  test.each([
    ['$(A)', 'x'],
    ['--out=$(A)/$(B)', '--out=x/y y'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$', '$'],
    ['a$', 'a$'],
    ['$A', '$A'],
    ['$(A', '$(A'],
    ['/results/soak-{shard}.jsonl', '/results/soak-{shard}.jsonl'],
  ])('%s → %s', (input, expected) => {
    expect(expandRefs(input, vars)).toBe(expected);
  });

  test('a missing ConfigMap key that is not optional fails like CreateContainerConfigError', () => {
    expect(() => containerEnv(container, { configMaps: {}, secrets: {}, injected: {} })).toThrow(
      /mqtt-doctor-run\/\S+ is missing/,
    );
  });

  test('the Job command line, resolved', () => {
    const run = { url: 'mqtt://b:1883', 'run-id': 'r1', 'start-at': 'T', clients: '8', duration: '5s', rate: '1/s' };
    const vars = containerEnv(container, {
      configMaps: { 'mqtt-doctor-run': run },
      secrets: {},
      injected: { JOB_COMPLETION_INDEX: '0' },
    });
    const line = commandLine(container, vars);
    expect(line.some((a) => a.includes('$('))).toBe(false);
    expect(line.slice(0, 3)).toEqual(['/usr/local/bin/mqtt-doctor-entrypoint', 'soak', 'mqtt://b:1883']);
    expect(vars.has('MQTT_DOCTOR_PASSWORD')).toBe(false); // optional and absent: not set at all
  });
});

describe('entrypoint.sh raises the soft open-file limit within the hard limit', () => {
  // A stand-in `mqtt-doctor` on PATH that prints the limit it was started with and each argument on a line.
  const dir = mkdtempSync(join(tmpdir(), 'mqd-entry-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'mqtt-doctor'),
    '#!/bin/sh\necho "soft=$(ulimit -S -n)"\nfor a in "$@"; do echo "arg=$a"; done\n',
  );
  chmodSync(join(dir, 'mqtt-doctor'), 0o755);
  const hardHere = Number(spawnSync('sh', ['-c', 'ulimit -H -n'], { encoding: 'utf8' }).stdout.trim());

  /** Start the entry point under `soft`/`hard` limits (lowered first, as a runtime would set them). */
  const run = (soft: number, hard: number, openFiles: string | undefined, args: string[] = []) => {
    const r = spawnSync(
      'sh',
      ['-c', `ulimit -S -n ${soft} && ulimit -H -n ${hard} && exec sh "$0" "$@"`, ENTRYPOINT, ...args],
      {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, OPEN_FILES: openFiles },
      },
    );
    return {
      code: r.status,
      soft: Number(/soft=(\d+)/.exec(r.stdout)?.[1]),
      args: [...r.stdout.matchAll(/^arg=(.*)$/gm)].map((m) => m[1]),
      stderr: r.stderr,
    };
  };

  test('the runtime default soft 1024 is raised to OPEN_FILES', () => {
    expect(run(1024, Math.min(hardHere, 8192), '4096').soft).toBe(4096);
  });
  test('OPEN_FILES above the hard limit stops at the hard limit, with a note', () => {
    const r = run(1024, 3000, '65536');
    expect(r.soft).toBe(3000);
    expect(r.stderr).toContain('limited to 3000');
  });
  test('a soft limit already above OPEN_FILES is kept', () => {
    expect(run(2048, 4096, '1500').soft).toBe(2048);
  });
  test('OPEN_FILES that is not a number is refused (exit 2) before mqtt-doctor starts', () => {
    const r = run(1024, 4096, 'lots');
    expect(r.code).toBe(2);
    expect(r.soft).toBeNaN();
  });
  test('the arguments reach mqtt-doctor unchanged', () => {
    expect(run(1024, 4096, undefined, ['soak', 'a b', '--out', '/r/soak-{shard}.jsonl', '']).args).toEqual([
      'soak',
      'a b',
      '--out',
      '/r/soak-{shard}.jsonl',
      '',
    ]);
  });
});
