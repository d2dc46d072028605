import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The runtime image's build context is the repository root; runtime/Dockerfile.dockerignore
 * (BuildKit's per-Dockerfile ignore file) says what goes in. CDK stages and fingerprints the
 * context with the same patterns, so synth never copies node_modules or cdk.out.
 */
export function runtimeImageExcludes(repoRoot: string): string[] {
  return readFileSync(path.join(repoRoot, 'runtime', 'Dockerfile.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}
