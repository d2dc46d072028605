import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AssetHashType, BundlingOutput, DockerImage, FileSystem } from 'aws-cdk-lib';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

export const PROXY_ARTIFACT_FILE = 'capture-proxy.tgz';

export interface ProxyArtifactProps {
  /** The repository root: holds package-lock.json and runtime/. */
  repoRoot: string;
}

interface LockEntry {
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
}

/**
 * The node_modules folders the runtime package needs in production, from the workspace lock:
 * Node's resolution walks up from the requiring package, so each dependency is looked up in the
 * nested folders first and in the hoisted root last. Returns lock locations (e.g.
 * "node_modules/kafkajs", "runtime/node_modules/yaml").
 */
export function productionPackageLocations(lock: { packages: Record<string, LockEntry> }, workspace = 'runtime'): string[] {
  const pkgs = lock.packages;
  const found = new Set<string>();
  const resolve = (from: string, name: string): string | undefined => {
    for (let dir = from; ; ) {
      const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
      if (pkgs[candidate] && !pkgs[candidate].link) return candidate;
      if (dir === '') return undefined;
      const idx = dir.lastIndexOf('/node_modules/');
      dir = idx >= 0 ? dir.slice(0, idx) : '';
    }
  };
  const visit = (from: string, entry: LockEntry): void => {
    const deps = { ...entry.dependencies, ...entry.optionalDependencies };
    for (const name of Object.keys(deps)) {
      const loc = resolve(from, name);
      if (!loc) {
        if (entry.optionalDependencies?.[name]) continue;
        throw new Error(`package-lock.json has no entry for ${name} (needed by ${from || 'the root'}): run npm install`);
      }
      if (found.has(loc)) continue;
      found.add(loc);
      visit(loc, pkgs[loc]);
    }
  };
  const root = pkgs[workspace];
  if (!root) throw new Error(`package-lock.json has no workspace "${workspace}": run npm install at the repository root`);
  visit(workspace, root);
  return [...found].sort();
}

/** Hash of what the artifact is built from, so that synth never rebuilds an unchanged one. */
function sourceHash(repoRoot: string): string {
  const runtime = path.join(repoRoot, 'runtime');
  return createHash('sha256')
    .update(FileSystem.fingerprint(path.join(runtime, 'src'), { exclude: ['local'] }))
    .update(readFileSync(path.join(runtime, 'package.json')))
    .update(readFileSync(path.join(repoRoot, 'package-lock.json')))
    .digest('hex');
}

/** Builds capture-proxy.tgz (runtime/dist, package.json, production node_modules) into outputDir. */
export function buildProxyArtifact(repoRoot: string, outputDir: string): void {
  const runtime = path.join(repoRoot, 'runtime');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', runtime], { stdio: 'inherit' });
  const staging = mkdtempSync(path.join(tmpdir(), 'capture-proxy-artifact-'));
  try {
    cpSync(path.join(runtime, 'dist'), path.join(staging, 'dist'), { recursive: true });
    cpSync(path.join(runtime, 'package.json'), path.join(staging, 'package.json'));
    const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8'));
    for (const loc of productionPackageLocations(lock)) {
      const from = path.join(repoRoot, loc);
      if (!existsSync(from)) {
        if (lock.packages[loc].optional) continue; // another platform's optional binary
        throw new Error(`${loc} is in package-lock.json but not installed: run npm ci at the repository root`);
      }
      const to = path.join(staging, loc.startsWith('runtime/') ? loc.slice('runtime/'.length) : loc);
      cpSync(from, to, { recursive: true, filter: (src) => !src.slice(from.length).includes(`${path.sep}node_modules${path.sep}`) });
    }
    execFileSync('tar', ['-czf', path.join(outputDir, PROXY_ARTIFACT_FILE), '-C', staging, '.']);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The capture proxy as an S3 asset: a tarball of the compiled runtime package with its production
 * dependencies, built locally at synth (no Docker); nodes need Node.js 20+ to run it.
 */
export class ProxyArtifact extends Construct {
  readonly asset: Asset;

  constructor(scope: Construct, id: string, props: ProxyArtifactProps) {
    super(scope, id);
    this.asset = new Asset(this, 'Asset', {
      path: path.join(props.repoRoot, 'runtime'),
      // Only used when bundling is skipped (tests): then the sources stand in for the tarball.
      exclude: ['node_modules', 'dist', 'src/local'],
      assetHashType: AssetHashType.CUSTOM,
      assetHash: sourceHash(props.repoRoot),
      bundling: {
        image: DockerImage.fromRegistry('node:22-slim'),
        command: ['sh', '-c', 'echo "the capture proxy artifact is built locally (node and tar); see lib/capture-proxy/proxy-artifact.ts" >&2; exit 1'],
        outputType: BundlingOutput.ARCHIVED,
        local: {
          tryBundle(outputDir: string): boolean {
            buildProxyArtifact(props.repoRoot, outputDir);
            return true;
          },
        },
      },
    });
  }
}
