import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors';

export interface JavaEnv {
  java: string;
  javaVersion: number;
  mvn: string;
}

/** Runs a command; undefined when it does not exist, otherwise stdout and stderr together. */
function run(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

/** "openjdk version \"17.0.15\"" -> 17; "1.8.0_392" -> 8. */
export function parseJavaVersion(text: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  const major = Number(m[1]);
  return major === 1 ? Number(m[2]) : major;
}

/** Finds Java 17+ (JAVA_HOME first, then PATH) and Maven, or says what to install. */
export function findJavaEnv(env: NodeJS.ProcessEnv = process.env): JavaEnv {
  const fromHome = env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : undefined;
  const java = fromHome && existsSync(fromHome) ? fromHome : 'java';
  const versionText = run(java, ['-version']);
  const javaVersion = versionText === undefined ? undefined : parseJavaVersion(versionText);
  if (javaVersion === undefined) {
    throw new UserError('NO_JAVA', 'Java was not found (looked at $JAVA_HOME/bin/java and PATH). Install a JDK 17 or newer (e.g. `apt-get install openjdk-17-jdk-headless`) or set JAVA_HOME.');
  }
  if (javaVersion < 17) {
    throw new UserError('OLD_JAVA', `Java ${javaVersion} found at ${java}; the local stack needs Java 17 or newer. Install it or point JAVA_HOME at one.`);
  }
  const mvn = env.MAVEN_CMD ?? 'mvn';
  if (run(mvn, ['-v']) === undefined) {
    throw new UserError('NO_MAVEN', 'Maven (mvn) was not found on PATH: the local stack downloads the server jars with it. Install it (e.g. `apt-get install maven`) or set MAVEN_CMD.');
  }
  return { java, javaVersion, mvn };
}
