import { ClusterClient, ClusterRequestError } from '../core/cluster-client';
import { ConfigError } from '../core/errors';
import { Allowlist, isBuiltinTemplate, isSystemIndex, selectNames } from './allowlist';
import { dropSetting, flattenSettings, rejectedSetting, transformComposableTemplate, transformIndex, transformLegacyTemplate, Transformed, unflattenSettings } from './metadata-transforms';

export type ItemKind = 'legacy_template' | 'component_template' | 'index_template' | 'index';

export interface ItemReport {
  kind: ItemKind;
  name: string;
  result: 'created' | 'would create' | 'exists' | 'failed';
  notes: string[];
  /** Settings that the target rejected and that were left out to create the item. */
  dropped: string[];
  error?: string;
}

export interface MetadataOptions {
  source: ClusterClient;
  target: ClusterClient;
  dryRun: boolean;
  indexAllowlist?: Allowlist;
  indexTemplateAllowlist?: Allowlist;
  componentTemplateAllowlist?: Allowlist;
}

interface Planned {
  kind: ItemKind;
  name: string;
  transformed: Transformed<any>;
}

const PATHS: Record<ItemKind, (n: string) => string> = {
  legacy_template: (n) => `/_template/${encodeURIComponent(n)}`,
  component_template: (n) => `/_component_template/${encodeURIComponent(n)}`,
  index_template: (n) => `/_index_template/${encodeURIComponent(n)}`,
  index: (n) => `/${encodeURIComponent(n)}`,
};

/** GET that treats "this API does not exist here" (ES before 7.8) as nothing to migrate. */
async function optionalJson(client: ClusterClient, path: string): Promise<any> {
  const res = await client.request({ method: 'GET', path });
  if (res.statusCode === 404 || res.statusCode === 400 || res.statusCode === 405) return undefined;
  if (res.statusCode !== 200) throw new ClusterRequestError({ method: 'GET', path }, res);
  return JSON.parse(res.body.toString('utf8'));
}

function checkMissing(allowlist: Allowlist | undefined, names: string[], flag: string, what: string): void {
  const missing = allowlist?.missing(names) ?? [];
  if (missing.length) throw new ConfigError(`${flag} names ${what} that the source does not have: ${missing.join(', ')} (check the spelling, or remove ${missing.length > 1 ? 'them' : 'it'} from the allowlist)`);
}

/** Everything to migrate, read and transformed; throws before any write when an allowlist names a missing item. */
export async function planMetadata(o: MetadataOptions): Promise<Planned[]> {
  const legacy = ((await optionalJson(o.source, '/_template')) ?? {}) as Record<string, any>;
  const components = (((await optionalJson(o.source, '/_component_template')) ?? {}).component_templates ?? []) as { name: string; component_template: any }[];
  const indexTemplates = (((await optionalJson(o.source, '/_index_template')) ?? {}).index_templates ?? []) as { name: string; index_template: any }[];
  const catIndices = (await o.source.json('GET', '/_cat/indices?format=json&h=index&expand_wildcards=all')) as { index: string }[];

  const templateNames = [...Object.keys(legacy), ...indexTemplates.map((t) => t.name)];
  checkMissing(o.indexTemplateAllowlist, templateNames, '--index-template-allowlist', 'templates');
  checkMissing(o.componentTemplateAllowlist, components.map((c) => c.name), '--component-template-allowlist', 'component templates');
  checkMissing(o.indexAllowlist, catIndices.map((c) => c.index), '--index-allowlist', 'indices');

  const planned: Planned[] = [];
  for (const name of selectNames(Object.keys(legacy), o.indexTemplateAllowlist, isBuiltinTemplate)) planned.push({ kind: 'legacy_template', name, transformed: transformLegacyTemplate(legacy[name]) });
  const componentByName = new Map(components.map((c) => [c.name, c.component_template]));
  for (const name of selectNames([...componentByName.keys()], o.componentTemplateAllowlist, isBuiltinTemplate)) planned.push({ kind: 'component_template', name, transformed: transformComposableTemplate(componentByName.get(name)) });
  const indexTemplateByName = new Map(indexTemplates.map((t) => [t.name, t.index_template]));
  for (const name of selectNames([...indexTemplateByName.keys()], o.indexTemplateAllowlist, isBuiltinTemplate)) planned.push({ kind: 'index_template', name, transformed: transformComposableTemplate(indexTemplateByName.get(name)) });
  const indexNames = selectNames(catIndices.map((c) => c.index), o.indexAllowlist, isSystemIndex);
  for (const name of indexNames) {
    const body = await o.source.json('GET', `/${encodeURIComponent(name)}`);
    planned.push({ kind: 'index', name, transformed: transformIndex(body[name]) });
  }
  return planned;
}

export async function existsOnTarget(target: ClusterClient, kind: ItemKind, name: string): Promise<boolean> {
  const res = await target.request({ method: kind === 'index' || kind === 'legacy_template' ? 'HEAD' : 'GET', path: PATHS[kind](name) });
  return res.statusCode === 200;
}

/** Templates first (indices created after them would otherwise miss them), then indices. */
export async function migrateMetadata(o: MetadataOptions): Promise<ItemReport[]> {
  const planned = await planMetadata(o);
  const reports: ItemReport[] = [];
  for (const p of planned) {
    const report: ItemReport = { kind: p.kind, name: p.name, result: 'would create', notes: p.transformed.notes, dropped: [] };
    reports.push(report);
    if (await existsOnTarget(o.target, p.kind, p.name)) {
      report.result = 'exists';
      continue;
    }
    if (o.dryRun) continue;
    await create(o.target, p, report);
  }
  return reports;
}

/** PUT that never overwrites; a rejected setting is dropped and the PUT retried, and the report says so. */
async function create(target: ClusterClient, p: Planned, report: ItemReport): Promise<void> {
  const body = structuredClone(p.transformed.body);
  const holder = p.kind === 'index' || p.kind === 'legacy_template' ? body : (body.template ?? {});
  const flat = flattenSettings(holder.settings ?? {});
  const path = p.kind === 'index' ? PATHS.index(p.name) : `${PATHS[p.kind](p.name)}?create=true`;
  for (let attempt = 0; attempt < 20; attempt++) {
    if (holder.settings !== undefined || Object.keys(flat).length) holder.settings = unflattenSettings(flat);
    const res = await target.request({ method: 'PUT', path, body });
    if (res.statusCode >= 200 && res.statusCode < 300) {
      report.result = 'created';
      return;
    }
    const text = res.body.toString('utf8');
    if (/resource_already_exists_exception|already exists/.test(text)) {
      report.result = 'exists';
      return;
    }
    const setting = res.statusCode === 400 ? rejectedSetting(text) : undefined;
    if (setting && dropSetting(flat, setting)) {
      report.dropped.push(setting.startsWith('index.') ? setting : `index.${setting}`);
      continue;
    }
    report.result = 'failed';
    report.error = `${res.statusCode}: ${extractReason(text)}`;
    return;
  }
  report.result = 'failed';
  report.error = 'too many rejected settings';
}

function extractReason(text: string): string {
  try {
    const e = JSON.parse(text).error;
    return typeof e === 'string' ? e : `${e.type}: ${e.reason}`;
  } catch {
    return text.slice(0, 300);
  }
}

/** Items that make the run not clean: failures, and items already on the target (left as they are). */
export function countIssues(reports: ItemReport[]): number {
  return reports.filter((r) => r.result === 'failed' || r.result === 'exists').length;
}

export function formatReport(reports: ItemReport[], dryRun: boolean): string {
  const rows = reports.map((r) => [r.kind, r.name, r.result, [...r.notes, ...r.dropped.map((d) => `DROPPED ${d} (rejected by target)`), ...(r.error ? [`ERROR ${r.error}`] : [])].join('; ') || '-']);
  const header = ['kind', 'name', 'result', 'changes'];
  const widths = header.map((h, i) => Math.min(i === 3 ? 200 : 60, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd();
  const issues = countIssues(reports);
  const summary = `${dryRun ? 'evaluate (nothing written)' : 'migrate'}: ${reports.length} items, ${reports.filter((r) => r.result === (dryRun ? 'would create' : 'created')).length} ${dryRun ? 'to create' : 'created'}, ${issues} issue${issues === 1 ? '' : 's'}`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', summary].join('\n') + '\n';
}
