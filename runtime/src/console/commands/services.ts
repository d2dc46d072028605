import { integerArg } from '../../core/cli/values';
import { ClusterRequestError } from '../../core/cluster-client';
import { UserError } from '../../core/errors';
import { table } from '../../core/table';
import { DEFAULT_WORKING_STATE_INDEX, LeaseStore } from '../../backfill/lease-store';
import { StatusSummary, summarize, WorkItem } from '../../backfill/work-items';
import { clusterSection, withCluster } from '../cluster-access';
import { ConsoleContext, requireSection } from '../context';
import { ServiceName, serviceControl, ServiceStatus, waitForStopped } from '../service-control';
import { JsonSchema, Verb, VerbOption } from '../verb';

const statusSchema: JsonSchema = {
  type: 'object',
  properties: { service: { type: 'string' }, where: { type: 'string' }, desired: { type: 'integer' }, running: { type: 'integer' }, pending: { type: 'integer' }, detail: { type: 'string' } },
};

export function formatStatus(s: ServiceStatus): string {
  return `${s.service} (${s.where}): desired ${s.desired}, running ${s.running}, pending ${s.pending}${s.detail ? ` [${s.detail}]` : ''}`;
}

const control = async (ctx: ConsoleContext, service: ServiceName) => serviceControl(await ctx.config(), service, ctx.stateDir);

function startVerb(service: ServiceName): Verb<Record<string, never>, ServiceStatus> {
  return {
    path: [service, 'start'],
    description: `start the ${service} workers at the scale services.yaml gives (at least 1)`,
    kind: 'change',
    output: statusSchema,
    run: async (ctx) => (await control(ctx, service)).start(),
    text: formatStatus,
  };
}

function scaleVerb(service: ServiceName): Verb<{ units: number }, ServiceStatus> {
  return {
    path: [service, 'scale'],
    description: `set the number of ${service} workers`,
    kind: 'change',
    args: [{ key: 'units', name: '<units>', description: 'number of workers (0 stops them)', schema: { type: 'integer', minimum: 0, maximum: 1000 }, parse: integerArg(0, 1000) }],
    output: statusSchema,
    run: async (ctx, input) => (await control(ctx, service)).scale(input.units),
    text: formatStatus,
  };
}

function describeVerb(service: ServiceName): Verb<Record<string, never>, { service: ServiceName; config: unknown; status: ServiceStatus }> {
  return {
    path: [service, 'describe'],
    description: `the ${service} section of services.yaml and the workers' status`,
    kind: 'read',
    output: { type: 'object', properties: { service: { type: 'string' }, config: { type: 'object', additionalProperties: true }, status: statusSchema } },
    async run(ctx) {
      const config = await ctx.config();
      const section = requireSection(config, service);
      return { service, config: section, status: await serviceControl(config, service, ctx.stateDir).status() };
    },
    text: (r) => `${JSON.stringify(r.config, null, 2)}\n${formatStatus(r.status)}`,
  };
}

// ---- backfill ----

export interface IndexProgress extends StatusSummary {
  index: string;
}

export interface WorkingState {
  index: string;
  total: StatusSummary;
  indices: IndexProgress[];
}

/** Work items done, leased and left and documents copied, per source index, from the working-state index. */
export async function readWorkingState(ctx: ConsoleContext, workingStateIndex = DEFAULT_WORKING_STATE_INDEX): Promise<WorkingState | null> {
  const target = clusterSection(await ctx.config(), 'target');
  return withCluster(target, async (client) => {
    const store = new LeaseStore(client, workingStateIndex);
    if (!(await store.exists())) return null;
    const items = (await store.all<WorkItem | { kind: string }>()).map((v) => v.doc).filter((d): d is WorkItem => d.kind === 'item');
    const now = Date.now();
    const byIndex = new Map<string, WorkItem[]>();
    for (const item of items) byIndex.set(item.index, [...(byIndex.get(item.index) ?? []), item]);
    const indices = [...byIndex.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([index, list]) => ({ index, ...summarize(list, now) }));
    return { index: workingStateIndex, total: summarize(items, now), indices };
  }, undefined, ctx.env);
}

const summarySchema: JsonSchema = {
  type: 'object',
  properties: Object.fromEntries(['items', 'done', 'leased', 'left', 'docsDone', 'docsTotal', 'failedDocs'].map((k) => [k, { type: 'integer' }])),
};
const workingStateSchema: JsonSchema = {
  type: ['object', 'null'],
  properties: { index: { type: 'string' }, total: summarySchema, indices: { type: 'array', items: { ...summarySchema, properties: { index: { type: 'string' }, ...(summarySchema.properties as object) } } } },
};

const workingStateOption: VerbOption = {
  key: 'workingStateIndex',
  flags: '--working-state-index <name>',
  description: 'the index on the target that holds the work items',
  schema: { type: 'string', minLength: 1 },
  default: DEFAULT_WORKING_STATE_INDEX,
};

export function formatWorkingState(w: WorkingState | null): string {
  if (!w) return 'no working state on the target yet: no backfill has started';
  const rows = w.indices.map((i) => [i.index, String(i.done), String(i.leased), String(i.left), String(i.docsDone), String(i.docsTotal), String(i.failedDocs)]);
  const t = w.total;
  rows.push(['(all)', String(t.done), String(t.leased), String(t.left), String(t.docsDone), String(t.docsTotal), String(t.failedDocs)]);
  return table(['index', 'items done', 'leased', 'left', 'docs copied', 'docs (about)', 'rejected'], rows).trimEnd();
}

export const backfillStatus: Verb<{ deepCheck?: boolean; workingStateIndex?: string }, ServiceStatus & { workingState?: WorkingState | null }> = {
  path: ['backfill', 'status'],
  description: 'desired and running workers; with --deep-check, work items and documents copied per index',
  kind: 'read',
  options: [{ key: 'deepCheck', flags: '--deep-check', description: 'read the working state on the target: items done/leased/left and documents copied, per index', schema: { type: 'boolean' } }, workingStateOption],
  output: { ...statusSchema, properties: { ...(statusSchema.properties as object), workingState: workingStateSchema } },
  async run(ctx, input) {
    // The working state is on the target: a deep check needs no backfill section (workers started elsewhere).
    if (input.deepCheck && !(await ctx.config()).backfill) return { service: 'backfill', where: 'none', desired: 0, running: 0, pending: 0, detail: 'no backfill section in services.yaml', workingState: await readWorkingState(ctx, input.workingStateIndex) };
    const status = await (await control(ctx, 'backfill')).status();
    if (!input.deepCheck) return status;
    return { ...status, workingState: await readWorkingState(ctx, input.workingStateIndex) };
  },
  text: (r) => [formatStatus(r), ...(r.workingState !== undefined ? [formatWorkingState(r.workingState)] : [])].join('\n'),
};

export const backfillPause: Verb<Record<string, never>, ServiceStatus> = {
  path: ['backfill', 'pause'],
  description: 'stop the workers and keep the working state: start resumes where they were',
  kind: 'change',
  output: statusSchema,
  run: async (ctx) => (await control(ctx, 'backfill')).stop(),
  text: (s) => `${formatStatus(s)}\npaused: the working state is kept, \`backfill start\` resumes`,
};

export interface BackfillStopResult extends ServiceStatus {
  /** Where the working state went; null when there was none. */
  archivedTo: string | null;
}

/** Copies the working state into a new index on the target and deletes it, so that the next start plans afresh. */
async function archiveWorkingState(ctx: ConsoleContext, index: string): Promise<string | null> {
  const target = clusterSection(await ctx.config(), 'target');
  return withCluster(target, async (client) => {
    if (!(await new LeaseStore(client, index).exists())) return null;
    const archive = `${index}_archive_${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').toLowerCase()}`;
    const path = '/_reindex?wait_for_completion=true&refresh=true';
    const res = await client.request({ method: 'POST', path, body: { source: { index }, dest: { index: archive, op_type: 'create' } }, retry: false });
    const body = res.body.length ? JSON.parse(res.body.toString('utf8')) : {};
    if (res.statusCode >= 300 || body.failures?.length) throw new ClusterRequestError({ method: 'POST', path }, res);
    const del = await client.request({ method: 'DELETE', path: `/${encodeURIComponent(index)}`, retry: false });
    if (del.statusCode >= 300 && del.statusCode !== 404) throw new ClusterRequestError({ method: 'DELETE', path: `/${index}` }, del);
    return archive;
  }, undefined, ctx.env);
}

export const backfillStop: Verb<{ waitSeconds?: number; workingStateIndex?: string }, BackfillStopResult> = {
  path: ['backfill', 'stop'],
  description: 'stop the workers, wait until they are gone, then archive the working state (the next start copies anew; use pause to resume later)',
  kind: 'change',
  options: [
    { key: 'waitSeconds', flags: '--wait-seconds <s>', description: 'how long to wait for the workers to exit before giving up (nothing is archived then)', schema: { type: 'integer', minimum: 0, maximum: 3600 }, parse: integerArg(0, 3600), default: 120 },
    workingStateOption,
  ],
  output: { ...statusSchema, properties: { ...(statusSchema.properties as object), archivedTo: { type: ['string', 'null'] } } },
  async run(ctx, input) {
    const c = await control(ctx, 'backfill');
    await c.stop();
    ctx.progress('waiting for the backfill workers to exit...');
    const status = await waitForStopped(c, (input.waitSeconds ?? 120) * 1000);
    if (status.running > 0 || status.pending > 0) {
      throw new UserError('WORKERS_STILL_RUNNING', `${status.running} backfill workers are still running after ${input.waitSeconds ?? 120} s: the working state was not archived; run backfill stop again once they are gone`);
    }
    return { ...status, archivedTo: await archiveWorkingState(ctx, input.workingStateIndex ?? DEFAULT_WORKING_STATE_INDEX) };
  },
  text: (r) => `${formatStatus(r)}\n${r.archivedTo ? `working state archived to index ${r.archivedTo} on the target` : 'no working state to archive'}`,
};

// ---- replay ----

export const replayStop: Verb<Record<string, never>, ServiceStatus> = {
  path: ['replay', 'stop'],
  description: 'stop the replayers (they commit what they finished; start resumes from there)',
  kind: 'change',
  output: statusSchema,
  run: async (ctx) => (await control(ctx, 'replay')).stop(),
  text: formatStatus,
};

export const replayStatus: Verb<Record<string, never>, ServiceStatus> = {
  path: ['replay', 'status'],
  description: 'desired and running replayers',
  kind: 'read',
  output: statusSchema,
  run: async (ctx) => (await control(ctx, 'replay')).status(),
  text: formatStatus,
};

export const backfillVerbs = [startVerb('backfill'), backfillStop, backfillPause, scaleVerb('backfill'), backfillStatus, describeVerb('backfill')];
export const replayVerbs = [startVerb('replay'), replayStop, scaleVerb('replay'), replayStatus, describeVerb('replay')];
