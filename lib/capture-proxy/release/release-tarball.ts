import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Metafile } from 'esbuild';
import { Arch, buildExecutable, bundleProxy, executableInputs, RELEASE_NODE_VERSION } from './executable';

/*
 * The release tarball, laid out as the install guide expects:
 *   CaptureProxyX64/bin/CaptureProxyX64   the executable
 *   CaptureProxyX64/README.md             how to run it, by hand or as a service
 *   CaptureProxyX64/capture-proxy.service the systemd unit (the SSM install script uses it too)
 *   CaptureProxyX64/licenses/             Node.js's license and the bundled packages'
 */

const TEMPLATES = __dirname;

/** CaptureProxyX64, CaptureProxyArm64: the directory and the executable's name. */
export function releaseName(arch: Arch): string {
  return arch === 'x64' ? 'CaptureProxyX64' : 'CaptureProxyArm64';
}

export function releaseTarballName(arch: Arch): string {
  return `${releaseName(arch)}.tar.gz`;
}

/** Where the shipped unit expects the release: `tar -xzf CaptureProxyX64.tar.gz -C /opt`. */
export function defaultInstallDir(arch: Arch): string {
  return `/opt/${releaseName(arch)}`;
}

export interface Release {
  arch: Arch;
  tarball: string;
  /** Bytes of the tarball and of the executable in it. */
  tarballBytes: number;
  executableBytes: number;
  nodeVersion: string;
  /** True when it came from the build cache. */
  cached: boolean;
}

function fill(template: string, arch: Arch): string {
  const name = releaseName(arch);
  return readFileSync(path.join(TEMPLATES, template), 'utf8')
    .replaceAll('@DIR_NAME@', name)
    .replaceAll('@DIR@', defaultInstallDir(arch))
    .replaceAll('@EXE@', name)
    .replaceAll('@ARCH@', arch)
    .replaceAll('@NODE@', RELEASE_NODE_VERSION);
}

/** The systemd unit shipped in the release (ExecStart at defaultInstallDir). */
export function releaseUnit(arch: Arch): string {
  return fill('capture-proxy.service', arch);
}

/** Each bundled npm package with its license text, from esbuild's list of inputs. */
function thirdPartyNotices(metafile: Metafile): string {
  const dirs = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(path.resolve(m[1]));
  }
  const parts: string[] = [];
  for (const dir of [...dirs].sort()) {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
    const licenseFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
    const text = licenseFile ? readFileSync(path.join(dir, licenseFile), 'utf8').trim() : `License: ${pkg.license ?? 'see the package'}`;
    parts.push(`${pkg.name}@${pkg.version} (${pkg.license ?? 'unknown'})\n\n${text}\n`);
  }
  return `The capture proxy executable bundles these npm packages.\n\n${parts.join('\n' + '-'.repeat(72) + '\n\n')}`;
}

/** Lays out the release directory under `staging` and packs it into `tarball`. */
function layOut(arch: Arch, bundle: string, metafile: Metafile, staging: string, tarball: string, workDir: string): void {
  const name = releaseName(arch);
  const root = path.join(staging, name);
  const { nodeDir } = buildExecutable(arch, bundle, path.join(root, 'bin', name), workDir);
  writeFileSync(path.join(root, 'README.md'), fill('README.md', arch));
  writeFileSync(path.join(root, 'capture-proxy.service'), releaseUnit(arch));
  mkdirSync(path.join(root, 'licenses'));
  cpSync(path.join(nodeDir, 'LICENSE'), path.join(root, 'licenses', 'NODE-LICENSE'));
  writeFileSync(path.join(root, 'licenses', 'THIRD-PARTY-NOTICES'), thirdPartyNotices(metafile));
  // Owned by root and untouched by the build machine's umask wherever it is unpacked.
  execFileSync('tar', ['-czf', tarball, '--owner=0', '--group=0', '--numeric-owner', '-C', staging, name]);
}

/** The key of a release: the bundle's bytes, the pinned binaries, and this build's own files. */
function releaseKey(arch: Arch, bundle: string): string {
  const h = createHash('sha256').update(readFileSync(bundle)).update(executableInputs(arch));
  for (const f of readdirSync(TEMPLATES).sort()) h.update(f).update(readFileSync(path.join(TEMPLATES, f)));
  return h.digest('hex').slice(0, 16);
}

/** Keeps the two newest releases of an architecture (the one just built and the one before). */
function pruneCache(cacheDir: string, arch: Arch, keep: string): void {
  const prefix = `${releaseName(arch)}-`;
  const old = readdirSync(cacheDir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.tar.gz') && path.join(cacheDir, f) !== keep)
    .map((f) => ({ f, t: statSync(path.join(cacheDir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of old.slice(1)) rmSync(path.join(cacheDir, f), { force: true });
}

export const RELEASE_CACHE = path.join(tmpdir(), 'capture-proxy-release-cache');

/**
 * Builds the release tarball for `arch` into outDir (or takes it from the cache when nothing that
 * goes into it changed: the bundle's bytes, the pinned binaries, the templates and this code).
 */
export function buildRelease(arch: Arch, outDir: string, opts: { cacheDir?: string } = {}): Release {
  const cacheDir = opts.cacheDir ?? RELEASE_CACHE;
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(path.join(cacheDir, `work-${arch}-`));
  try {
    const bundle = path.join(work, `capture-proxy-${arch}.js`);
    const metafile = bundleProxy(bundle);
    const keyed = path.join(cacheDir, `${releaseName(arch)}-${releaseKey(arch, bundle)}.tar.gz`);
    const cached = existsSync(keyed);
    if (!cached) {
      const staging = path.join(work, 'staging');
      mkdirSync(staging);
      const partial = path.join(work, releaseTarballName(arch));
      layOut(arch, bundle, metafile, staging, partial, work);
      // Complete or absent, also when two builds race.
      renameSync(partial, keyed);
      pruneCache(cacheDir, arch, keyed);
    }
    mkdirSync(outDir, { recursive: true });
    const tarball = path.join(outDir, releaseTarballName(arch));
    cpSync(keyed, tarball);
    const listing = execFileSync('tar', ['-tvzf', tarball, `${releaseName(arch)}/bin/${releaseName(arch)}`], { encoding: 'utf8' });
    return { arch, tarball, tarballBytes: statSync(tarball).size, executableBytes: Number(listing.trim().split(/\s+/)[2]), nodeVersion: RELEASE_NODE_VERSION, cached };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
