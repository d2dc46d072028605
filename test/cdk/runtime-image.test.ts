import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { buildApp, repoRoot } from './app-fixture';

/** Every file under dir, as paths relative to it. */
function files(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel)).flatMap((name) => {
    const p = path.join(rel, name);
    return statSync(path.join(dir, p)).isDirectory() ? files(dir, p) : [p.split(path.sep).join('/')];
  });
}

/** The build context CDK stages for the runtime image (the image of every service, the console's too). */
function stagedImageContext(): string {
  const asm = buildApp().app.synth();
  const contexts = new Set<string>();
  for (const f of readdirSync(asm.directory).filter((n) => n.endsWith('.assets.json'))) {
    const manifest = JSON.parse(readFileSync(path.join(asm.directory, f), 'utf8'));
    for (const image of Object.values(manifest.dockerImages ?? {}) as any[]) contexts.add(path.resolve(asm.directory, image.source.directory));
  }
  expect(contexts.size).toBe(1);
  return [...contexts][0];
}

describe('the runtime image', () => {
  let shipped: string[];
  beforeAll(() => {
    shipped = files(stagedImageContext());
  });

  it('is built from the services and the package files, without the demo or the local stack and its server launchers', () => {
    expect(shipped).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'runtime/Dockerfile', 'runtime/src/console/cli.ts', 'runtime/src/replayer/cli.ts']));
    expect(shipped.filter((f) => f.startsWith('runtime/src/local/'))).toEqual([]);
    expect(shipped.filter((f) => /demo|launcher|pom\.xml|\.java$/i.test(f))).toEqual([]);
    expect(shipped.filter((f) => /^(node_modules|cdk\.out|test|lib|bin|\.cache)\//.test(f) || f.startsWith('runtime/dist/'))).toEqual([]);
    // The demo and the local stack are still in the repository, beside each other.
    const local = files(path.join(repoRoot, 'runtime', 'src', 'local'));
    expect(local).toEqual(expect.arrayContaining(['demo.ts', 'stack.ts', 'servers/Launcher.java']));
  });

  it('compiles from what it ships: no shipped module imports one that is left out', () => {
    const have = new Set(shipped);
    const missing: string[] = [];
    for (const f of shipped.filter((x) => x.startsWith('runtime/src/') && x.endsWith('.ts'))) {
      const text = readFileSync(path.join(repoRoot, f), 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1]));
        if (![`${target}.ts`, `${target}/index.ts`, target].some((c) => have.has(c))) missing.push(`${f} imports ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
