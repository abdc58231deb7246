// `tiny plan --emit gitlab`: a GitLab CI pipeline. A plan job writes plan.json as an artifact;
// the build job runs `parallel: N` times, and GitLab gives each copy CI_NODE_INDEX (1..N) and
// CI_NODE_TOTAL, which `tiny build --shard auto` reads (shard CI_NODE_INDEX of N, checked
// against the plan's N); each copy exports its records as an artifact, even when a toggle
// failed; the merge job (when: always) imports every copy's export and runs `tiny report
// --check`. Set the CI/CD variable TINY_CCACHE_REMOTE to share compiled objects.

import { stringify } from 'yaml';
import { buildCommand, checkEmitOptions, exportCommand, header, planCommand, reportCommand, slug, type EmitOptions } from './common.js';

export function emitGitlab(o: EmitOptions): string {
  // GitLab runs at most 200 copies of a parallel job.
  checkEmitOptions(o, 200, 'GitLab');
  const s = slug(o.name);
  const pipeline = {
    stages: ['plan', 'build', 'merge'],
    variables: { TINY_CACHE: '$CI_PROJECT_DIR/.tiny-cache' },
    [`${s}-plan`]: {
      stage: 'plan',
      image: o.image,
      script: [planCommand(o, 'plan.json')],
      artifacts: { paths: ['plan.json'] },
    },
    [`${s}-build`]: {
      stage: 'build',
      image: o.image,
      needs: [`${s}-plan`],
      parallel: o.shards,
      script: ['status=0', `${buildCommand(o, 'plan.json', 'auto')} || status=$?`, exportCommand(o, '"tiny-store-$CI_NODE_INDEX.tar"'), 'exit $status'],
      artifacts: { when: 'always', paths: ['tiny-store-*.tar'] },
    },
    [`${s}-merge`]: {
      stage: 'merge',
      image: o.image,
      needs: [`${s}-build`],
      when: 'always',
      script: ['tiny store import tiny-store-*.tar', reportCommand(o, ['--format', 'html', '--out', 'report.html']), reportCommand(o, ['--check'])],
      artifacts: { when: 'always', paths: ['report.html'] },
    },
  };
  return header(o, [`GitLab CI: ${o.shards} shards of ${o.name}, each job in ${o.image}`, 'plan -> build (parallel: N, CI_NODE_INDEX) -> merge.']) + stringify(pipeline, { lineWidth: 0 });
}
