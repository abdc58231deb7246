// The part of `tiny report --format json` and `tiny boot --format json` that the results pages
// quote, kept in results/*.json (the full documents carry every symbol change: megabytes).
// Pure functions: plain data in, plain data out.

const comparison = (c) => (c ? { available: c.available, change: c.change } : null);

export function reduceReport(r) {
  if (r.schema_version !== 1) throw new Error(`tiny report --format json: schema_version ${r.schema_version}, this script reads 1`);
  if (r.failed?.length)
    throw new Error(`tiny report --config ${r.config}: ${r.failed.length} toggles did not build (${r.failed.map((f) => f.toggle ?? f).join(', ')}): the results need every toggle built`);
  const queueToggle = r.inputs.toggles.find((t) => t.toggle === 'queue');
  return {
    config: r.config,
    run: r.run,
    ok: r.ok,
    failed: r.failed,
    image_name: r.image_name,
    base_sizes: r.base_sizes,
    options_off_by_config: r.options_off_by_config,
    toggles: r.toggles.map((t) => ({ toggle: t.toggle, kind: t.kind, status: t.status, sizes: t.sizes, duration_ms: t.duration_ms })),
    patches: r.patches.map((p) => ({
      name: p.name,
      position: p.position,
      sha256: p.sha256,
      flip: p.flip ? { ...comparison(p.flip), saved: p.flip.saved, saved_pct: p.flip.saved_pct, cumulative: p.flip.cumulative, cumulative_pct: p.flip.cumulative_pct } : null,
    })),
    config_flips: r.config_flips.map((c) => ({ symbol: c.symbol, ...comparison(c), value: c.value })),
    noop: comparison(r.noop),
    all_off: comparison(r.all_off),
    all_off_vs_base: comparison(r.all_off_vs_base),
    interactions: { sum_of_singles: r.interactions.sum_of_singles, all_off: r.interactions.all_off, difference: r.interactions.difference },
    dirs: r.dirs,
    subdirs: r.subdirs,
    budgets: r.budgets,
    // Boots of the run's toggles (tiny build --boot, or boot: in the configuration): per patch
    // the image bytes and kB of free memory saved.
    runtime: r.runtime
      ? {
          condition: r.runtime.condition,
          toggles: r.runtime.toggles,
          rows: r.runtime.rows,
          not_booted: r.runtime.not_booted,
          // The allocation census (tiny boot --kmalloc): totals and the largest callers.
          censuses: (r.runtime.censuses ?? []).map((c) => ({ ...c, top_by_net: c.top_by_net.slice(0, 8), top_by_slack: (c.top_by_slack ?? []).slice(0, 5) })),
        }
      : null,
    inputs: {
      trees: r.inputs.trees,
      toolchains: r.inputs.toolchains,
      runtimes: r.inputs.runtimes,
      queue_patches: queueToggle ? queueToggle.patches.map((p) => p.name) : [],
    },
  };
}

export function reduceBoot(b) {
  if (b.schema_version !== 2) throw new Error(`tiny boot --format json: schema_version ${b.schema_version}, this script reads 2`);
  const boot = b.boot;
  const min = b.min_mem;
  return {
    config: b.config,
    toggle: b.toggle,
    base_version: b.base_version,
    key: b.key,
    image: b.image,
    boot: {
      mem_kib: boot.mem_kib,
      limit: boot.limit,
      machine_kib: boot.machine_kib,
      booted: boot.booted,
      failure: boot.failure ?? null,
      mem_total_kib: boot.mem_total_kib ?? null,
      mem_free_kib: boot.mem_free_kib ?? null,
      reserved_kib: boot.reserved_kib ?? null,
      to_init_ms: boot.to_init_ms ?? null,
      http: boot.http
        ? {
            served: boot.http.served,
            reason: boot.http.reason ?? null,
            nic: boot.http.nic.device,
            requests: boot.http.requests,
            round_trips_ms: boot.http.round_trips_ms,
            mem_free_kib: boot.http.mem_free_kib ?? null,
          }
        : null,
      qemu: boot.qemu.version,
      at: boot.at,
    },
    min_mem: min
      ? {
          serves_http: min.serves_http ?? false,
          min_kib: min.min_kib,
          fails_kib: min.fails_kib,
          step_kib: min.step_kib,
          limit: min.limit,
          machine_kib: min.machine_kib ?? null,
          at_min: min.at_min ?? null,
          tries: min.tries.length,
        }
      : null,
  };
}

// `tiny report --bases --format json`: per base the toggles' sizes and latest boots, and the
// growth from base to base (the five directories that changed most).
export function reduceBases(r) {
  if (r.schema_version !== 1) throw new Error(`tiny report --bases --format json: schema_version ${r.schema_version}, this script reads 1`);
  const failed = r.bases.flatMap((b) => b.toggles.filter((t) => t.status !== 'ok').map((t) => `${t.toggle} on ${b.version}: ${t.first_error ?? 'failed'}`));
  if (failed.length) throw new Error(`a toggle failed, so the bases cannot be compared: ${failed.join('; ')}`);
  return {
    config: r.config,
    bases: r.bases.map((b) => ({
      version: b.version,
      tree: b.tree,
      queue_cost: b.queue_cost,
      all_off_saves: b.all_off_saves,
      toggles: b.toggles.map((t) => ({ toggle: t.toggle, key: t.key, size: t.size, image: t.image, boot: t.boot })),
    })),
    growth: r.growth.map((g) => ({
      from: g.from,
      to: g.to,
      toggle: g.toggle,
      size: g.size,
      image: g.image,
      dirs: g.dirs
        .slice()
        .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.dir.localeCompare(b.dir))
        .slice(0, 5),
      diff_command: g.diff_command,
    })),
  };
}
