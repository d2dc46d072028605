import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readMigrationContext } from '../../bin/context';
import { buildMigrationStacks, MigrationStacks } from '../../lib/migration-app';
import { applyNagSuppressions } from '../../lib/nag-suppressions';

export const repoRoot = path.resolve(__dirname, '..', '..');

/** The example context of cdk.json, which `cdk synth` uses offline. */
export function exampleContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8')).context;
}

export interface Built {
  app: App;
  stacks: MigrationStacks;
}

/** Builds the app as bin/app.ts does; the proxy tarballs are not built (bundling skipped) unless asked, for every stack or the named ones. */
export function buildApp(overrides: Record<string, unknown> = {}, opts: { nag?: boolean; bundle?: boolean; bundlingStacks?: string[]; outdir?: string } = {}): Built {
  const context = { ...exampleContext(), ...overrides, 'aws:cdk:bundling-stacks': opts.bundle ? (opts.bundlingStacks ?? ['**']) : [] };
  const app = new App({ context, outdir: opts.outdir });
  const config = readMigrationContext((k) => app.node.tryGetContext(k), Object.keys(app.node.getAllContext()));
  const stacks = buildMigrationStacks(app, config, repoRoot);
  if (opts.nag) {
    applyNagSuppressions(stacks);
    Aspects.of(app).add(new AwsSolutionsChecks());
  }
  return { app, stacks };
}
