import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, BundlingOutput, DockerImage, FileSystem } from 'aws-cdk-lib';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { Arch, ARCHES } from './release/executable';
import { buildRelease, releaseName } from './release/release-tarball';

export interface ProxyArtifactProps {
  /** The repository root: holds package-lock.json and runtime/. */
  repoRoot: string;
}

/** Hash of what a release is built from, so that synth never rebuilds an unchanged one. */
function sourceHash(repoRoot: string, arch: Arch): string {
  return createHash('sha256')
    .update(FileSystem.fingerprint(path.join(repoRoot, 'runtime', 'src'), { exclude: ['local'] }))
    .update(FileSystem.fingerprint(path.join(__dirname, 'release')))
    .update(readFileSync(path.join(repoRoot, 'package-lock.json')))
    .update(arch)
    .digest('hex');
}

/**
 * The capture proxy's release tarballs as S3 assets, one per CPU (CaptureProxyX64.tar.gz,
 * CaptureProxyArm64.tar.gz): each holds one executable with Node.js inside, built locally at
 * synth (no Docker), so nodes need neither Node.js nor npm.
 */
export class ProxyArtifact extends Construct {
  readonly assets: Record<Arch, Asset>;

  constructor(scope: Construct, id: string, props: ProxyArtifactProps) {
    super(scope, id);
    const asset = (arch: Arch) =>
      new Asset(this, releaseName(arch), {
        path: path.join(props.repoRoot, 'runtime'),
        // Only used when bundling is skipped (tests): then the sources stand in for the tarball.
        exclude: ['node_modules', 'dist', 'src/local'],
        assetHashType: AssetHashType.CUSTOM,
        assetHash: sourceHash(props.repoRoot, arch),
        bundling: {
          image: DockerImage.fromRegistry('node:22-slim'),
          command: ['sh', '-c', 'echo "the capture proxy release is built locally (npm, esbuild, postject); see lib/capture-proxy/release" >&2; exit 1'],
          outputType: BundlingOutput.ARCHIVED,
          local: {
            tryBundle(outputDir: string): boolean {
              buildRelease(arch, outputDir);
              return true;
            },
          },
        },
      });
    this.assets = Object.fromEntries(ARCHES.map((a) => [a, asset(a)])) as Record<Arch, Asset>;
  }
}
