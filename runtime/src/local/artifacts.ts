import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors';
import type { JavaEnv } from './java-env';

export type ServerJars = 'kafka' | 'elasticsearch' | 'opensearch';

/** Works from both runtime/src/local (tests) and runtime/dist/local (built CLI). */
export const SERVERS_DIR = path.resolve(__dirname, '../../src/local/servers');
const REPO_ROOT = path.resolve(__dirname, '../../..');

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MIGRATION_LOCAL_CACHE ?? path.join(REPO_ROOT, '.cache', 'local-stack');
}

/**
 * Makes sure the server's jars are in the cache: Maven resolves them (from ~/.m2 when it has them)
 * and copies them into <cache>/<server>/lib. A marker keyed by the pom's hash makes the next start
 * skip Maven entirely.
 */
export async function ensureServerJars(server: ServerJars, java: JavaEnv, cacheDir: string, log: (line: string) => void): Promise<string> {
  const pom = path.join(SERVERS_DIR, server, 'pom.xml');
  const pomHash = createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 16);
  const libDir = path.join(cacheDir, server, 'lib');
  const marker = path.join(libDir, '.complete');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === pomHash) return libDir;

  rmSync(libDir, { recursive: true, force: true });
  mkdirSync(libDir, { recursive: true });
  log(`Downloading ${server} jars with Maven into ${libDir} (once; later starts reuse them)...`);
  const args = ['-B', '-q', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${libDir}`, '-DincludeScope=runtime'];
  const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const child = spawn(java.mvn, args, { stdio: ['ignore', 'pipe', 'pipe']});
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, text }));
  });
  const jars = readdirSync(libDir).filter((f) => f.endsWith('.jar'));
  if (output.code !== 0 || jars.length === 0) {
    throw new UserError('MAVEN_FAILED', `Maven could not fetch the ${server} jars (exit ${output.code}). Check access to Maven Central. Maven said:\n${output.text.split('\n').slice(-20).join('\n')}`);
  }
  writeFileSync(marker, pomHash);
  log(`  ${jars.length} jars for ${server}.`);
  return libDir;
}
