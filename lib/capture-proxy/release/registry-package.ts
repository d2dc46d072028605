import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** A registry package the release takes one file from, pinned by its tarball's integrity. */
export interface PinnedPackage {
  /** name@version */
  spec: string;
  /** The registry's sha512 integrity of the tarball; undefined for build tools that are not shipped. */
  integrity?: string;
  /** The file wanted, relative to the package root. */
  file: string;
}

export interface UnpackedPackage {
  /** The package's root directory. */
  dir: string;
  /** The wanted file in it. */
  file: string;
}

/**
 * A registry package, fetched with npm (whose cache makes later builds offline), checked against
 * the pinned integrity, and unpacked under workDir.
 */
export function unpackPackage(p: PinnedPackage, workDir: string): UnpackedPackage {
  const dir = path.join(workDir, p.spec.replace(/[@/]/g, '_'));
  mkdirSync(dir, { recursive: true });
  let out: string;
  try {
    out = execFileSync('npm', ['pack', p.spec, '--prefer-offline', '--json', '--pack-destination', dir], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`npm could not fetch ${p.spec} from the registry: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  }
  const [{ filename }] = JSON.parse(out) as Array<{ filename: string }>;
  const tarball = path.join(dir, path.basename(filename));
  if (p.integrity) {
    const actual = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (actual !== p.integrity) throw new Error(`${p.spec}: the registry's tarball has integrity ${actual}, not the pinned ${p.integrity}`);
  }
  execFileSync('tar', ['-xzf', tarball, '-C', dir]);
  return { dir: path.join(dir, 'package'), file: path.join(dir, 'package', p.file) };
}
