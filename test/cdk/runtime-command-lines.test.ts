import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { Template } from 'aws-cdk-lib/assertions';
import { buildProgram as documentsProgram } from '../../runtime/src/backfill/documents-cli';
import { buildProgram as metadataProgram } from '../../runtime/src/backfill/metadata-cli';
import { parseProxyArgs } from '../../runtime/src/capture-proxy/options';
import { buildProgram as consoleProgram } from '../../runtime/src/console/cli';
import { parseCli as replayerCli, resolveCli as resolveReplayer } from '../../runtime/src/replayer/cli';
import { buildApp } from './app-fixture';
import { fakeNode } from './fake-node';

/*
 * Every command line the stacks write (ECS task commands with their environment, the SSM install
 * document and the EC2 user data of the capture proxy) goes through the runtime's own parsers: an
 * unknown flag, a refused value or a contradiction fails here, at synth, not in a task at 3 a.m.
 */

/** One command line as a service would start with it. */
interface CommandLine {
  where: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
}

const BROKERS = 'b-1.msk.example.com:9098,b-2.msk.example.com:9098';

/** CloudFormation values with deploy-time parts replaced by stand-ins a parser accepts. */
function resolve(value: unknown, template: Record<string, any>): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  const v = value as Record<string, any>;
  if (v.Ref === 'AWS::Region') return 'us-east-1';
  if (v.Ref === 'AWS::AccountId') return '123456789012';
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (v.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map((p) => resolve(p, template)).join(v['Fn::Join'][0]);
  if (v['Fn::Base64']) return resolve(v['Fn::Base64'], template);
  // An SSM parameter (the brokers) or another stack's export (a bucket name).
  const ssmDefault = v.Ref ? String(template.Parameters?.[v.Ref]?.Default ?? '') : '';
  if (/kafkaBrokers$/.test(ssmDefault)) return BROKERS;
  if (v.Ref || v['Fn::ImportValue'] || v['Fn::GetAtt']) return 'deploy-time-value';
  throw new Error(`cannot stand in for ${JSON.stringify(value)}`);
}

/** The containers' commands and environments (secrets as stand-in values). */
function taskCommandLines(template: Record<string, any>, stack: string): CommandLine[] {
  const lines: CommandLine[] = [];
  for (const [id, r] of Object.entries<any>(template.Resources ?? {})) {
    if (r.Type !== 'AWS::ECS::TaskDefinition') continue;
    for (const c of r.Properties.ContainerDefinitions) {
      const env: NodeJS.ProcessEnv = {};
      for (const e of c.Environment ?? []) env[e.Name] = resolve(e.Value, template);
      for (const s of c.Secrets ?? []) env[s.Name] = 'secret-value';
      lines.push({ where: `${stack} ${id} ${c.Name}`, argv: (c.Command as unknown[]).map((a) => resolve(a, template)), env });
    }
  }
  return lines;
}

/** A script that documents and user data carry: its heredoc body and its exports. */
function embeddedInstall(lines: string[]): { script: string; exports: Record<string, string> } {
  const start = lines.findIndex((l) => /^cat > \S+install-capture-proxy\.sh <<'(\w+)'$/.test(l));
  if (start < 0) throw new Error('no embedded install script');
  const end = lines.indexOf(/<<'(\w+)'$/.exec(lines[start])![1], start + 1);
  const exports: Record<string, string> = {};
  for (const l of lines.slice(end + 1)) {
    const m = /^export (\w+)='(.*)'$/.exec(l);
    if (m) exports[m[1]] = m[2];
  }
  return { script: lines.slice(start + 1, end).join('\n'), exports };
}

/** The proxy's command line as the install script writes it on a (fake) node, from the script the template carries. */
function installedProxyLine(where: string, lines: string[], parameters: Record<string, { default?: string }> = {}): CommandLine {
  const { script, exports } = embeddedInstall(lines);
  // SSM fills {{ name }} with the document's parameters: here their defaults; the brokers' default names an SSM parameter.
  const fill = (s: string) => s.replace(/\{\{ *(\w+) *\}\}/g, (_m, name: string) => (name === 'kafkaBrokers' ? BROKERS : (parameters[name]?.default ?? '')));
  // The fake node brings its own paths (artifact, node config, unit directories).
  const env = Object.fromEntries(Object.entries(exports).filter(([k]) => !['ARTIFACT', 'NODE_CONFIG', 'NODE_SERVICE'].includes(k)).map(([k, v]) => [k, fill(v)]));
  const node = fakeNode();
  try {
    const file = path.join(node.dir, 'install-capture-proxy.sh');
    writeFileSync(file, script);
    const r = node.run(file, env);
    if (r.status !== 0) throw new Error(`${where}: the install script failed: ${r.stderr}`);
    const written = readFileSync(node.envFile, 'utf8');
    const args = /^PROXY_ARGS=(.*)$/m.exec(written)![1];
    const region = /^AWS_REGION=(.*)$/m.exec(written)?.[1];
    // The unit's own variables (the journal directory) reach the proxy too.
    const unitEnv = Object.fromEntries([...readFileSync(node.unitFile, 'utf8').matchAll(/^Environment=(\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    // systemd splits $PROXY_ARGS on whitespace.
    return { where, argv: ['capture-proxy', ...args.split(/\s+/).filter(Boolean)], env: { ...unitEnv, ...(region ? { AWS_REGION: region } : {}) } };
  } finally {
    node.remove();
  }
}

function proxyCommandLines(template: Record<string, any>, stack: string): CommandLine[] {
  const lines: CommandLine[] = [];
  for (const [id, r] of Object.entries<any>(template.Resources ?? {})) {
    if (r.Type === 'AWS::SSM::Document' && /Install/.test(id)) {
      const content = r.Properties.Content;
      const step = content.mainSteps.find((s: any) => s.action === 'aws:runShellScript');
      lines.push(installedProxyLine(`${stack} ${id}`, (step.inputs.runCommand as unknown[]).map((l) => resolve(l, template)), content.parameters));
    }
    if (r.Type === 'AWS::EC2::LaunchTemplate') lines.push(installedProxyLine(`${stack} ${id} user data`, resolve(r.Properties.LaunchTemplateData.UserData, template).split('\n')));
  }
  return lines;
}

/** Files a flag names on the node exist there; here they are empty stand-ins. */
const FILE_FLAGS = new Set(['--sslCertChainFile', '--sslKeyFile', '--sslClientCaFile', '--sslTrustCertFile', '--kafkaConfigFile']);

/** Every command of a program exits by throwing, and its action only records that it was reached. */
function dryRun(program: Command): Command {
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) {
    c.exitOverride();
    c.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    if (c.commands.length === 0) c.action(() => undefined);
  }
  return program;
}

/** Runs one command line through the parsers of the service it starts; throws what the service would refuse. */
async function parseWithRuntime(line: CommandLine, scratch: string): Promise<void> {
  const [service, ...args] = line.argv;
  const saved = { ...process.env };
  // Some checks still read the region from process.env (MSK IAM, S3 sinks): give them the task's.
  Object.assign(process.env, { AWS_REGION: line.env.AWS_REGION ?? 'us-east-1' });
  try {
    switch (service) {
      case 'capture-proxy': {
        const argv = args.map((a, i) => (FILE_FLAGS.has(args[i - 1]) ? path.join(scratch, path.basename(a)) : a));
        for (let i = 0; i < args.length; i++) if (FILE_FLAGS.has(args[i])) writeFileSync(argv[i + 1], '');
        const warnings: string[] = [];
        parseProxyArgs(argv, line.env, (w) => warnings.push(w));
        if (warnings.length) throw new Error(`warnings: ${warnings.join('; ')}`);
        return;
      }
      case 'traffic-replayer': {
        const resolved = resolveReplayer(replayerCli(args, line.env));
        if (resolved.warnings.length) throw new Error(`warnings: ${resolved.warnings.join('; ')}`);
        return;
      }
      case 'document-backfill':
        await dryRun(documentsProgram(line.env)).parseAsync(args, { from: 'user' });
        return;
      case 'metadata-migration':
        await dryRun(metadataProgram(line.env)).parseAsync(args, { from: 'user' });
        return;
      case 'migration-console':
        await dryRun(consoleProgram(line.env).program).parseAsync(args, { from: 'user' });
        return;
      default:
        throw new Error(`no parser for the service "${service}"`);
    }
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

function commandLines(overrides: Record<string, unknown>): CommandLine[] {
  const { stacks } = buildApp(overrides);
  return Object.entries(stacks).flatMap(([name, stack]) => {
    if (!stack) return [];
    const template = Template.fromStack(stack).toJSON();
    return [...taskCommandLines(template, name), ...proxyCommandLines(template, name)];
  });
}

/** The parse of each line: 'ok', or the error it met. */
async function verdicts(lines: CommandLine[]): Promise<Record<string, string>> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'cdk-command-lines-'));
  try {
    const out: Record<string, string> = {};
    for (const line of lines) {
      out[line.where] = await parseWithRuntime(line, scratch).then(
        () => 'ok',
        (err: Error) => `${err.message} (in: ${line.argv.join(' ')})`,
      );
    }
    return out;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const FLEET = {
  captureProxy: { enabled: false },
  captureProxyService: { enabled: true, desiredCount: 2, cpu: 1024, memoryMiB: 2048, listenerPort: 9200, certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000', internetFacing: false, extraArgs: '--numThreads 2' },
};

test('every command line of the example deployment parses with the runtime\'s own parsers', async () => {
  const lines = commandLines({});
  // The console, the replayer, the backfill, the SSM install document and the user data.
  expect(lines.map((l) => l.argv[0]).sort()).toEqual(['capture-proxy', 'capture-proxy', 'document-backfill', 'migration-console', 'traffic-replayer']);
  const results = await verdicts(lines);
  expect(results).toEqual(Object.fromEntries(Object.keys(results).map((k) => [k, 'ok'])));
  // The install script really ran: the proxy line carries the node port and the document's extra flags.
  const installed = lines.find((l) => /InstallCaptureProxy/.test(l.where))!;
  expect(installed.argv).toEqual(expect.arrayContaining(['--destinationUri', 'https://localhost:19200', '--enableMSKAuth', '--sslCertChainFile']));
  expect(installed.env).toMatchObject({ AWS_REGION: 'us-east-1', CAPTURE_PROXY_JOURNAL_DIRECTORY: '/var/lib/capture-proxy-journal' });
});

test('the proxy fleet\'s proxies and forwarders, and extra arguments from context, parse too', async () => {
  const lines = commandLines({
    ...FLEET,
    replayer: { enabled: true, cpu: 1024, memoryMiB: 4096, groupId: 'logging-group-default', speedupFactor: 2, extraArgs: '--max-concurrent-requests 256 --insecure' },
    backfill: { enabled: true, cpu: 2048, memoryMiB: 4096, ephemeralStorageGiB: 50, maxWorkers: 5, extraArgs: '--page-size 1000 --max-bulk-bytes 5mb' },
  });
  expect(lines.filter((l) => l.argv[0] === 'capture-proxy').length).toBeGreaterThanOrEqual(1);
  const results = await verdicts(lines);
  expect(results).toEqual(Object.fromEntries(Object.keys(results).map((k) => [k, 'ok'])));
});

test('a flag the runtime does not know, or a value it refuses, fails the check with the reason', async () => {
  const results = await verdicts(
    commandLines({
      replayer: { enabled: true, cpu: 1024, memoryMiB: 4096, groupId: 'logging-group-default', speedupFactor: 1, extraArgs: '--max-concurrent-request 256' },
      backfill: { enabled: true, cpu: 2048, memoryMiB: 4096, ephemeralStorageGiB: 50, maxWorkers: 5, extraArgs: '--page-size lots' },
      captureProxy: { enabled: true, listenPort: 9200, nodePort: 19200, destinationScheme: 'http', extraArgs: '--maxTrafficBufferSize 1' },
    }),
  );
  const failed = Object.entries(results).filter(([, v]) => v !== 'ok');
  expect(failed.map(([k]) => k.split(' ')[0]).sort()).toEqual(['backfill', 'captureProxy', 'captureProxy', 'replayer']);
  expect(results).toEqual(
    expect.objectContaining({
      [failed.find(([k]) => k.startsWith('replayer'))![0]]: expect.stringContaining("unknown option '--max-concurrent-request'"),
      [failed.find(([k]) => k.startsWith('backfill'))![0]]: expect.stringContaining('--page-size must be a whole number >= 1 (got "lots")'),
    }),
  );
  for (const [k, v] of failed.filter(([key]) => key.startsWith('captureProxy'))) expect([k, v]).toEqual([k, expect.stringContaining('--maxTrafficBufferSize must be a size')]);
});
