import { parseAllowlist } from '../../backfill/allowlist';
import { checkAccess } from '../../backfill/cluster-options';
import { countIssues, formatReport, ItemReport, migrateMetadata } from '../../backfill/metadata-migration';
import { clusterClientFor, clusterSection } from '../cluster-access';
import { JsonSchema, Verb, VerbOption } from '../verb';

interface MetadataInput {
  indexAllowlist?: string[];
  indexTemplateAllowlist?: string[];
  componentTemplateAllowlist?: string[];
}

interface MetadataResult {
  mode: 'evaluate' | 'migrate';
  issues: number;
  items: ItemReport[];
}

const list = (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',').filter(Boolean)];
const listSchema: JsonSchema = { type: 'array', items: { type: 'string', minLength: 1 } };
const allowlistOptions: VerbOption[] = [
  { key: 'indexAllowlist', flags: '--index-allowlist <names>', description: 'indices: exact names or regex:PATTERN, comma-separated or repeated (default: services.yaml metadata_migration, else all but system indices)', schema: listSchema, parse: list },
  { key: 'indexTemplateAllowlist', flags: '--index-template-allowlist <names>', description: 'legacy and index templates (default: services.yaml, else all but built-in ones)', schema: listSchema, parse: list },
  { key: 'componentTemplateAllowlist', flags: '--component-template-allowlist <names>', description: 'component templates (default: services.yaml, else all but built-in ones)', schema: listSchema, parse: list },
];

const output: JsonSchema = {
  type: 'object',
  properties: {
    mode: { type: 'string' },
    issues: { type: 'integer' },
    items: {
      type: 'array',
      items: { type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' }, result: { type: 'string' }, notes: { type: 'array', items: { type: 'string' } }, dropped: { type: 'array', items: { type: 'string' } }, error: { type: 'string' } } },
    },
  },
};

/** The metadata-migration tool's own code, with both clusters and the allowlists from services.yaml. */
function metadataVerb(mode: 'evaluate' | 'migrate'): Verb<MetadataInput, MetadataResult> {
  const dryRun = mode === 'evaluate';
  return {
    path: ['metadata', mode],
    description: dryRun
      ? 'show what migrate would create on the target, with the transforms; writes nothing; exit code = number of issues'
      : 'create templates and indices (settings, mappings, aliases) on the target; never overwrites; exit code = number of issues',
    kind: dryRun ? 'read' : 'change',
    options: allowlistOptions,
    output,
    async run(ctx, input) {
      const config = await ctx.config();
      const mm = config.metadata_migration;
      const source = await clusterClientFor(clusterSection(config, 'source'), 'migration-console metadata', {}, ctx.env);
      const target = await clusterClientFor(clusterSection(config, 'target'), 'migration-console metadata', {}, ctx.env);
      try {
        await checkAccess(source, 'source');
        await checkAccess(target, 'target');
        const items = await migrateMetadata({
          source,
          target,
          dryRun,
          indexAllowlist: parseAllowlist(input.indexAllowlist ?? mm?.index_allowlist, '--index-allowlist'),
          indexTemplateAllowlist: parseAllowlist(input.indexTemplateAllowlist ?? mm?.index_template_allowlist, '--index-template-allowlist'),
          componentTemplateAllowlist: parseAllowlist(input.componentTemplateAllowlist ?? mm?.component_template_allowlist, '--component-template-allowlist'),
        });
        return { mode, issues: countIssues(items), items };
      } finally {
        await Promise.all([source.close(), target.close()]);
      }
    },
    text: (r) => formatReport(r.items, dryRun).trimEnd(),
    exitCode: (r) => Math.min(r.issues, 100),
  };
}

export const metadataVerbs = [metadataVerb('evaluate'), metadataVerb('migrate')];
