// `tiny plan --emit github`: a GitHub Actions workflow. A plan job writes plan.json and its
// matrix ({"shard": ["1/N", ...]}) to a job output; one job per shard (matrix: fromJSON of that
// output, fail-fast off) builds its share and uploads `tiny store export` as an artifact, even
// when a toggle failed; a merge job downloads every shard's artifact, imports them and runs
// `tiny report --check`. The merged store is kept in the Actions cache, so the next run plans
// with recorded durations and serves stored toggles. GitHub caps a matrix at 256 jobs.

import { stringify } from 'yaml';
import { buildCommand, checkEmitOptions, exportCommand, header, planCommand, reportCommand, slug, type EmitOptions } from './common.js';

export function emitGithub(o: EmitOptions): string {
  checkEmitOptions(o, 256, 'GitHub Actions');
  const s = slug(o.name);
  const cacheKey = `tiny-store-${s}-`;
  const restore = [
    {
      name: 'Restore the records of earlier runs',
      uses: 'actions/cache/restore@v4',
      with: { path: 'tiny-store.tar', key: `${cacheKey}\${{ github.run_id }}`, 'restore-keys': cacheKey },
    },
    { name: 'Import them', run: 'if [ -f tiny-store.tar ]; then tiny store import tiny-store.tar; fi' },
  ];
  const workflow = {
    name: `tiny ${o.name}`,
    on: { workflow_dispatch: {}, push: { paths: ['queue/**', 'configs/**', 'toolchains/**'] } },
    permissions: { contents: 'read' },
    // Relative to the workspace each step runs in (in a container job, github.workspace names
    // the runner's path, not the container's).
    env: { TINY_CACHE: '.tiny-cache' },
    jobs: {
      plan: {
        name: 'plan',
        'runs-on': 'ubuntu-24.04',
        container: o.image,
        outputs: { matrix: '${{ steps.plan.outputs.matrix }}' },
        steps: [
          { uses: 'actions/checkout@v4' },
          ...restore,
          {
            id: 'plan',
            name: `Plan ${o.shards} shards`,
            run:
              [planCommand(o, 'plan.json'), `echo "matrix=$(node -e 'process.stdout.write(JSON.stringify(require(process.argv[1]).matrix))' "$PWD/plan.json")" >> "$GITHUB_OUTPUT"`].join('\n') + '\n',
          },
          { uses: 'actions/upload-artifact@v4', with: { name: 'tiny-plan', path: 'plan.json' } },
        ],
      },
      shard: {
        name: 'shard ${{ matrix.shard }}',
        needs: 'plan',
        'runs-on': 'ubuntu-24.04',
        container: o.image,
        strategy: { 'fail-fast': false, matrix: '${{ fromJSON(needs.plan.outputs.matrix) }}' },
        env: { TINY_CCACHE_REMOTE: '${{ secrets.TINY_CCACHE_REMOTE }}' },
        steps: [
          { uses: 'actions/checkout@v4' },
          { uses: 'actions/download-artifact@v4', with: { name: 'tiny-plan' } },
          ...restore,
          { name: 'Build shard ${{ matrix.shard }}', run: buildCommand(o, 'plan.json', '${{ matrix.shard }}') },
          { name: 'Export its records', if: '${{ !cancelled() }}', run: exportCommand(o, 'tiny-store-${{ strategy.job-index }}.tar') },
          {
            uses: 'actions/upload-artifact@v4',
            if: '${{ !cancelled() }}',
            with: { name: 'tiny-store-${{ strategy.job-index }}', path: 'tiny-store-${{ strategy.job-index }}.tar' },
          },
        ],
      },
      merge: {
        name: 'merge and check',
        needs: 'shard',
        if: '${{ !cancelled() }}',
        'runs-on': 'ubuntu-24.04',
        container: o.image,
        steps: [
          { uses: 'actions/checkout@v4' },
          { uses: 'actions/download-artifact@v4', with: { pattern: 'tiny-store-*', path: 'stores', 'merge-multiple': true } },
          { name: 'Import every shard', run: 'tiny store import stores/*.tar' },
          { name: 'Report', run: reportCommand(o, ['--format', 'html', '--out', 'report.html']) },
          { name: 'Check budgets and failed toggles', run: reportCommand(o, ['--check']) },
          { name: 'Keep the merged records', if: '${{ !cancelled() }}', run: exportCommand(o, 'tiny-store.tar') },
          { uses: 'actions/cache/save@v4', if: '${{ !cancelled() }}', with: { path: 'tiny-store.tar', key: `${cacheKey}\${{ github.run_id }}` } },
          { uses: 'actions/upload-artifact@v4', if: '${{ !cancelled() }}', with: { name: 'tiny-report', path: 'report.html\ntiny-store.tar\n' } },
        ],
      },
    },
  };
  return (
    header(o, [
      `GitHub Actions: ${o.shards} shards of ${o.name}, each job in ${o.image}`,
      'plan -> shard (matrix from the plan) -> merge. Set the repository secret TINY_CCACHE_REMOTE',
      '(redis://HOST:PORT or http://HOST/PATH) to share compiled objects between the shards.',
    ]) + stringify(workflow, { lineWidth: 0 })
  );
}
