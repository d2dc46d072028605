#!/usr/bin/env node
/*
 * Builds the capture proxy's release tarballs (one executable each, no Node.js needed on the node).
 * Usage: npm run build:proxy-release [-- --arch x64|arm64|all] [--out dist/capture-proxy] [--json]
 */
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { Arch, ARCHES } from '../lib/capture-proxy/release/executable';
import { buildRelease, Release } from '../lib/capture-proxy/release/release-tarball';

const program = new Command('build-proxy-release')
  .description('Builds CaptureProxyX64.tar.gz (and CaptureProxyArm64.tar.gz): the capture proxy as one executable with its README and systemd unit.')
  .addOption(new Option('--arch <arch>', 'which architecture').choices(['x64', 'arm64', 'all']).default('all'))
  .option('--out <dir>', 'where the tarballs go', path.join(__dirname, '..', 'dist', 'capture-proxy'))
  .option('--json', 'print the result as JSON')
  .action((o: { arch: Arch | 'all'; out: string; json?: boolean }) => {
    const arches = o.arch === 'all' ? ARCHES : [o.arch];
    const built: Release[] = [];
    for (const arch of arches) {
      const started = Date.now();
      if (!o.json) process.stderr.write(`building the ${arch} executable (Node.js from the npm registry, esbuild, postject)...\n`);
      const r = buildRelease(arch, o.out);
      built.push(r);
      if (!o.json) {
        const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
        process.stdout.write(`${r.tarball}: ${mb(r.tarballBytes)} (executable ${mb(r.executableBytes)}, Node.js ${r.nodeVersion}${r.cached ? ', from the build cache' : ''}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      }
    }
    if (o.json) process.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
  });

try {
  program.parse();
} catch (err) {
  process.stderr.write(`build-proxy-release: ${(err as Error).message}\n`);
  process.exit(1);
}
