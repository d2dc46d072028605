#!/usr/bin/env node
import { Command } from 'commander';
import { cliOption, readEnvBeforeActions } from '../core/cli/options';
import { exitWithError } from '../core/errors';
import { parseAllowlist } from './allowlist';
import { addClusterOptions, checkAccess, clusterSettings, loadConfig, makeClient } from './cluster-options';
import { compareIndices } from './compare';
import { countIssues, formatReport, migrateMetadata, planMetadata } from './metadata-migration';
import { table } from '../core/table';

const allowlistOptions = (cmd: Command) =>
  cmd
    .addOption(cliOption('--index-allowlist <names...>', 'indices: exact names or regex:PATTERN (default: all but system indices)', { env: 'METADATA_INDEX_ALLOWLIST' }))
    .addOption(cliOption('--index-template-allowlist <names...>', 'legacy and index templates (default: all but built-in ones)', { env: 'METADATA_INDEX_TEMPLATE_ALLOWLIST' }))
    .addOption(cliOption('--component-template-allowlist <names...>', 'component templates (default: all but built-in ones)', { env: 'METADATA_COMPONENT_TEMPLATE_ALLOWLIST' }));

async function clients(opts: Record<string, any>) {
  const yaml = loadConfig(opts);
  const mm = yaml?.metadata_migration;
  const [source, target] = await Promise.all([makeClient(clusterSettings(opts, 'source', yaml), 4), makeClient(clusterSettings(opts, 'target', yaml), 4)]);
  return {
    source,
    target,
    indexAllowlist: parseAllowlist(opts.indexAllowlist ?? mm?.index_allowlist, '--index-allowlist'),
    indexTemplateAllowlist: parseAllowlist(opts.indexTemplateAllowlist ?? mm?.index_template_allowlist, '--index-template-allowlist'),
    componentTemplateAllowlist: parseAllowlist(opts.componentTemplateAllowlist ?? mm?.component_template_allowlist, '--component-template-allowlist'),
  };
}

async function metadata(opts: Record<string, any>, dryRun: boolean): Promise<void> {
  const c = await clients(opts);
  try {
    // Both ends are checked before anything is read or written.
    await checkAccess(c.source, 'source');
    await checkAccess(c.target, 'target');
    const reports = await migrateMetadata({ ...c, dryRun });
    const issues = countIssues(reports);
    process.stdout.write(opts.json ? `${JSON.stringify({ mode: dryRun ? 'evaluate' : 'migrate', issues, items: reports })}\n` : formatReport(reports, dryRun));
    // The exit code is the number of issues (capped), 0 when clean.
    process.exitCode = Math.min(issues, 100);
  } finally {
    await Promise.all([c.source.close(), c.target.close()]);
  }
}

async function compare(opts: Record<string, any>): Promise<void> {
  const c = await clients(opts);
  try {
    const indices = (await planMetadata({ ...c, dryRun: true, indexTemplateAllowlist: parseAllowlist(['regex:(?!)'], 'x'), componentTemplateAllowlist: parseAllowlist(['regex:(?!)'], 'x') })).filter((p) => p.kind === 'index').map((p) => p.name);
    const result = await compareIndices(c.source, c.target, indices);
    if (opts.json) process.stdout.write(`${JSON.stringify({ indices: result })}\n`);
    else {
      process.stdout.write(table(['index', 'group', 'source docs', 'target docs', 'differences'], result.map((r) => [r.index, r.group, String(r.sourceDocs), r.targetDocs === null ? '-' : String(r.targetDocs), r.differences.join('; ') || '-'])));
    }
    process.exitCode = result.some((r) => r.group === 'conflicting') ? 1 : 0;
  } finally {
    await Promise.all([c.source.close(), c.target.close()]);
  }
}

/** The metadata migration's command line; `env` is where its variables are read. */
export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('metadata-migration').description('Migrate templates, component templates, index templates and indices (settings, mappings, aliases) from the source to the target').showHelpAfterError();
  readEnvBeforeActions(program, env);
  for (const [name, dryRun, description] of [
    ['evaluate', true, 'show what migrate would do, with the transforms; writes nothing'],
    ['migrate', false, 'create the items on the target (existing items are never overwritten); exit code = number of issues'],
  ] as const) {
    addClusterOptions(allowlistOptions(program.command(name).description(description)).option('--json', 'print the report as JSON')).action(async (opts) => metadata(opts, dryRun));
  }
  addClusterOptions(
    allowlistOptions(program.command('compare').description('indices on both sides, with document counts and differences: to create, identical, identical but empty on target, conflicting')).option('--json', 'print as JSON'),
  ).action(async (opts) => compare(opts));
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err) => exitWithError(err));
}
