// Toolchains: definitions (toolchains/<name>/toolchain.yaml), container runtimes, images.
//
//   const tc = await loadToolchain(root, 'gcc-12-i386');
//   const rt = await detectRuntime();                     // podman | docker | host
//   const img = await ensureImage(tc, rt, { onLog });      // { id: 'sha256:...', digest, tag }
//   await rt.runInContainer({ image: img.id, workdir: CONTAINER_PATHS.build, mounts, env,
//                             network: 'none', cmd: ['make', ...] });

export * from './types.js';
export * from './definitions.js';
export * from './runtime.js';
export * from './image.js';
export { stream, realExec, type Exec, type StreamOptions, type StreamResult } from './proc.js';
