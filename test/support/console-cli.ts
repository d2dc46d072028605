import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { uniqueName } from './env';

const run = promisify(execFile);
export const CONSOLE_CLI = path.resolve(__dirname, '../../runtime/dist/console/cli.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'console-'));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built migration-console with services.yaml (when given) written to a fresh file. */
export async function consoleCli(args: string[], yaml?: string, env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  const file = path.join(dir, `${uniqueName('services')}.yaml`);
  if (yaml !== undefined) writeFileSync(file, yaml);
  try {
    const { stdout, stderr } = await run('node', [CONSOLE_CLI, ...(yaml !== undefined ? ['--config-file', file] : []), ...args], { env, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err: any) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** services.yaml naming both clusters of the local stack, without auth. */
export function clustersYaml(sourceUrl: string, targetUrl: string): string {
  return `source_cluster:\n  endpoint: ${sourceUrl}\n  no_auth:\ntarget_cluster:\n  endpoint: ${targetUrl}\n  no_auth:\n`;
}

/** metadata evaluate|migrate flags that take this index and no template (other tests leave templates on the source). */
export function onlyIndex(index: string): string[] {
  return ['--index-allowlist', index, '--index-template-allowlist', 'regex:(?!)', '--component-template-allowlist', 'regex:(?!)'];
}
