#!/usr/bin/env node
import * as path from 'node:path';
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildMigrationStacks } from '../lib/migration-app';
import { applyNagSuppressions } from '../lib/nag-suppressions';
import { ContextError, readMigrationContext } from './context';

const app = new App();
try {
  const config = readMigrationContext((key) => app.node.tryGetContext(key), Object.keys(app.node.getAllContext()));
  const stacks = buildMigrationStacks(app, config, path.resolve(__dirname, '..'));
  applyNagSuppressions(stacks);
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
} catch (err) {
  if (err instanceof ContextError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
