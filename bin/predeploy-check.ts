#!/usr/bin/env node
/*
 * Checks, before `cdk deploy`, what synth cannot: that the target region is CDK-bootstrapped.
 * Reads the same context as the app (cdk.json); AWS credentials from the default chain.
 * Usage: npm run predeploy-check [-- --qualifier hnb659fds]
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ContextError, readMigrationContext } from './context';

export async function checkBootstrapped(region: string, account: string, qualifier = 'hnb659fds'): Promise<string> {
  const ssm = new SSMClient({ region });
  const name = `/cdk-bootstrap/${qualifier}/version`;
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name }));
    return out.Parameter?.Value ?? '';
  } catch (err) {
    if ((err as Error).name === 'ParameterNotFound') {
      throw new Error(`Region ${region} of account ${account} is not CDK-bootstrapped (no SSM parameter ${name}): run \`npx cdk bootstrap aws://${account}/${region}\` with credentials for that account, then deploy again.`);
    }
    throw err;
  } finally {
    ssm.destroy();
  }
}

async function main(): Promise<void> {
  const context = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context ?? {};
  const qualifierIdx = process.argv.indexOf('--qualifier');
  const config = readMigrationContext((k) => context[k]);
  const version = await checkBootstrapped(config.region, config.account, qualifierIdx > 0 ? process.argv[qualifierIdx + 1] : undefined);
  console.log(`OK: ${config.region} is CDK-bootstrapped (bootstrap version ${version}).`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof ContextError ? err.message : `predeploy check failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
