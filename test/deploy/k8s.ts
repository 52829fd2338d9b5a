/**
 * The manifests under deploy/kubernetes/ as Kubernetes would read them: every YAML document parsed with `yaml`,
 * each object validated by the model class of its apiVersion/kind from `kubernetes-models` (JSON Schema of the
 * Kubernetes OpenAPI spec), and the container environment and `$(VAR)` references resolved as the kubelet does,
 * so a test can run a container's exact command line on this machine.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IJob } from 'kubernetes-models/batch/v1/Job';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEPLOY_DIR = join(ROOT, 'deploy', 'kubernetes');

export interface Manifest {
  file: string;
  /** 0-based position of the document in its file. */
  index: number;
  obj: Record<string, unknown>;
}

/** Every document of every *.yaml / *.yml file in `dir`; a YAML syntax error throws, naming the file. */
export function loadManifests(dir = DEPLOY_DIR): Manifest[] {
  const out: Manifest[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8'));
    if (!Array.isArray(docs)) continue; // an empty stream: no documents
    docs.forEach((doc, index) => {
      if (doc.errors.length > 0) throw new Error(`${file} document ${index}: ${doc.errors[0]?.message}`);
      const obj: unknown = doc.toJS();
      if (obj === null || obj === undefined) return;
      out.push({ file, index, obj: obj as Record<string, unknown> });
    });
  }
  return out;
}

/** The validator for each kind the deploy folder uses; a kind not listed here is an error, never skipped. */
const MODELS: Record<string, (obj: Record<string, unknown>) => { validate(): void }> = {
  'batch/v1/Job': (obj) => new Job(obj as never),
  'v1/PersistentVolumeClaim': (obj) => new PersistentVolumeClaim(obj as never),
  'v1/Pod': (obj) => new Pod(obj as never),
};

/** Throws (with the JSON path of each error) when `obj` does not match its kind's schema. */
export function validateObject(obj: Record<string, unknown>): void {
  const key = `${String(obj.apiVersion)}/${String(obj.kind)}`;
  const make = MODELS[key];
  if (!make) throw new Error(`no validator for ${key}: add its kubernetes-models class to test/deploy/k8s.ts`);
  make(obj).validate();
}

export function findJob(manifests: Manifest[]): IJob {
  const jobs = manifests.filter((m) => m.obj.kind === 'Job');
  if (jobs.length !== 1) throw new Error(`expected one Job in deploy/kubernetes, found ${jobs.length}`);
  return jobs[0]!.obj as unknown as IJob;
}

export function jobContainer(job: IJob): IContainer {
  const containers = job.spec?.template.spec?.containers ?? [];
  if (containers.length !== 1) throw new Error(`expected one container in the Job, found ${containers.length}`);
  return containers[0]!;
}

/**
 * Kubernetes' `$(VAR)` expansion of command, args and env values: `$(NAME)` becomes the variable's value when
 * it is defined and stays as written when not; `$$` is one `$`, so `$$(NAME)` is the literal `$(NAME)`
 * (Container.args in https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#entrypoint;
 * the kubelet's code: https://github.com/kubernetes/kubernetes/blob/master/third_party/forked/golang/expansion/expand.go).
 */
export function expandRefs(input: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    const close = next === '(' ? input.indexOf(')', i + 2) : -1;
    if (close >= 0) {
      const name = input.slice(i + 2, close);
      out += vars.get(name) ?? `$(${name})`;
      i = close;
    } else {
      // `$$` is one `$`; `$(` with no `)` after it and `$` before any other character stay as written.
      out += next === '$' ? '$' : `$${next}`;
      i += 1;
    }
  }
  return out;
}

export interface PodSources {
  configMaps: Record<string, Record<string, string>>;
  secrets: Record<string, Record<string, string>>;
  /** Variables the Job controller adds (JOB_COMPLETION_INDEX for an Indexed Job). */
  injected: Record<string, string>;
}

/**
 * The container's environment as the kubelet builds it: `env` entries in order (a literal value may refer to
 * earlier ones), ConfigMap and Secret keys resolved; a missing key that is not optional throws, as the pod
 * would fail with CreateContainerConfigError. Variables the Job controller injects come first.
 */
export function containerEnv(container: IContainer, sources: PodSources): Map<string, string> {
  const vars = new Map(Object.entries(sources.injected));
  for (const e of container.env ?? []) {
    if (e.value !== undefined) {
      vars.set(e.name, expandRefs(e.value, vars));
      continue;
    }
    const cm = e.valueFrom?.configMapKeyRef;
    const sec = e.valueFrom?.secretKeyRef;
    const ref = cm ?? sec;
    if (!ref) throw new Error(`env ${e.name}: only value, configMapKeyRef and secretKeyRef are resolved here`);
    const store = cm ? sources.configMaps : sources.secrets;
    const value = store[ref.name ?? '']?.[ref.key];
    if (value !== undefined) vars.set(e.name, value);
    else if (!ref.optional) throw new Error(`env ${e.name}: ${ref.name}/${ref.key} is missing and not optional`);
  }
  return vars;
}

/** The container's command line after `$(VAR)` expansion: command then args. */
export function commandLine(container: IContainer, vars: ReadonlyMap<string, string>): string[] {
  return [...(container.command ?? []), ...(container.args ?? [])].map((a) => expandRefs(a, vars));
}

/** The ConfigMap keys the container reads: `kubectl create configmap` must provide each. */
export function configMapKeys(container: IContainer, name: string): string[] {
  return (container.env ?? [])
    .map((e) => e.valueFrom?.configMapKeyRef)
    .filter((r) => r?.name === name)
    .map((r) => r!.key);
}

/** The README section between `<!-- section:NAME -->` and `<!-- /section:NAME -->`. */
export function readmeSection(name: string): string {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const from = text.indexOf(`<!-- section:${name} -->`);
  const to = text.indexOf(`<!-- /section:${name} -->`);
  if (from < 0 || to < from) throw new Error(`README has no section ${name}`);
  return text.slice(from, to);
}

/**
 * The commands of the ```sh blocks of a README section, as the words a shell hands the program: continuation
 * lines joined, `a && b` split, then each command's words expanded by `sh` itself (quotes, `$(date …)`,
 * `$(( … ))`, comments). Nothing is run but `date`: a command substitution of anything else is refused, and
 * so are pipes, redirections and `;`, so a README edit cannot make this execute a command line.
 */
export function readmeCommands(section: string): string[][] {
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
  const lines = blocks.flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n')).filter((l) => l.trim() !== '');
  return lines
    .flatMap((l) => l.split(' && '))
    .map((cmd) => {
      const code = cmd.replace(/\s+#.*$/, '');
      const subst = [...code.matchAll(/\$\((?!\()/g)].map((m) => code.slice(m.index + 2, m.index + 7));
      if (subst.some((s) => s !== 'date ') || /[;|<>`]/.test(code.replace(/'[^']*'/g, ''))) {
        throw new Error(`README command not checked (only plain commands and $(date …)): ${cmd}`);
      }
      const r = spawnSync('sh', ['-c', `set -- ${code}\nfor a; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`sh could not read the README command ${cmd}: ${r.stderr}`);
      return r.stdout.split('\0').slice(0, -1);
    });
}
