// `tiny plan --emit k8s`: two Kubernetes Jobs in one YAML stream.
//
//   1. an Indexed Job (completionMode: Indexed, completions = parallelism = N): pod k gets
//      JOB_COMPLETION_INDEX=k (0..N-1) and builds shard k+1 of the plan, which travels in the
//      Job itself (the TINY_PLAN variable: every pod follows the same split); it writes
//      `tiny store export` to the records volume as <plan>/tiny-store-<k>.tar
//   2. the merge step: a Job that imports every export of the plan and runs
//      `tiny report --check`; apply it once the first has completed:
//        kubectl apply -f tiny.yaml -l tiny.step=shards
//        kubectl wait --for=condition=complete --timeout=24h job/<name>-shards
//        kubectl apply -f tiny.yaml -l tiny.step=merge
//
// The records volume is a PersistentVolumeClaim (ReadWriteMany) the cluster provides; TINY_CACHE
// is an emptyDir per pod. The Secret tiny-ccache (key remote), when it exists, gives ccache's
// remote storage. Pods never restart a failed build (backoffLimit 0: a compiler error is not
// transient).

import { stringify } from 'yaml';
import type { PlanDocument } from '../planfile.js';
import { buildCommand, checkEmitOptions, exportCommand, header, reportCommand, slug, type EmitOptions } from './common.js';

export interface K8sOptions extends EmitOptions {
  /** The plan the pods follow (made by `tiny plan` on this machine). */
  plan: PlanDocument;
  /** The PersistentVolumeClaim holding the exports (default tiny-records). */
  pvc?: string;
  /** Where the project is inside the image (default /project). */
  workdir?: string;
  namespace?: string;
}

export function emitK8s(o: K8sOptions): string {
  checkEmitOptions(o, 100_000, 'Kubernetes');
  if (o.plan.shard_count !== o.shards) throw new Error('emitK8s: the plan has another number of shards');
  const name = slug(o.name).slice(0, 40);
  const run = o.plan.plan_id.slice(0, 12);
  const dir = `/records/${run}`;
  const volumes = [
    { name: 'records', persistentVolumeClaim: { claimName: o.pvc ?? 'tiny-records' } },
    { name: 'cache', emptyDir: {} },
  ];
  const mounts = [
    { name: 'records', mountPath: '/records' },
    { name: 'cache', mountPath: '/cache' },
  ];
  const env = [
    { name: 'TINY_CACHE', value: '/cache' },
    { name: 'TINY_CCACHE_REMOTE', valueFrom: { secretKeyRef: { name: 'tiny-ccache', key: 'remote', optional: true } } },
  ];
  const meta = (step: string) => ({
    name: `${name}-${step}`,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    labels: { 'app.kubernetes.io/name': 'tiny', 'tiny.config': name, 'tiny.plan': run, 'tiny.step': step },
  });
  /** One Job: its step's labels, a single `tiny` container running `script` with sh -c. */
  const job = (step: string, counts: Record<string, unknown>, script: string[], jobEnv: typeof env) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(step),
    spec: {
      ...counts,
      backoffLimit: 0,
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'tiny', 'tiny.step': step } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'tiny',
              image: o.image,
              workingDir: o.workdir ?? '/project',
              command: ['sh', '-c'],
              args: [script.join('\n')],
              env: jobEnv,
              volumeMounts: mounts,
            },
          ],
          volumes,
        },
      },
    },
  });
  const shards = job(
    'shards',
    { completionMode: 'Indexed', completions: o.shards, parallelism: o.shards },
    [
      'printf \'%s\' "$TINY_PLAN" > /tmp/plan.json',
      `mkdir -p ${dir}`,
      'status=0',
      `${buildCommand(o, '/tmp/plan.json', 'auto')} || status=$?`,
      `${exportCommand(o, `${dir}/tiny-store-$JOB_COMPLETION_INDEX.tar`)} || exit 1`,
      'exit $status',
    ],
    [...env, { name: 'TINY_PLAN', value: JSON.stringify(o.plan) }],
  );
  const merge = job(
    'merge',
    { completions: 1, parallelism: 1 },
    [
      'set -e',
      `tiny store import ${dir}/tiny-store-*.tar`,
      reportCommand(o, ['--format', 'html', '--out', `${dir}/report.html`]),
      exportCommand(o, `${dir}/merged.tar`),
      reportCommand(o, ['--check']),
    ],
    env,
  );
  return (
    header(o, [
      `Kubernetes: ${o.shards} shards of ${o.name} (plan ${run}), each pod in ${o.image}`,
      `the project at ${o.workdir ?? '/project'} in the image; exports on the PersistentVolumeClaim ${o.pvc ?? 'tiny-records'}`,
      '',
      'kubectl apply -f THIS.yaml -l tiny.step=shards',
      `kubectl wait --for=condition=complete --timeout=24h job/${name}-shards`,
      'kubectl apply -f THIS.yaml -l tiny.step=merge',
    ]) +
    stringify(shards, { lineWidth: 0 }) +
    '---\n' +
    stringify(merge, { lineWidth: 0 })
  );
}
