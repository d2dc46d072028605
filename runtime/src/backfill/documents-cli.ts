#!/usr/bin/env node
import { hostname } from 'node:os';
import { Command } from 'commander';
import { cliOption, readEnvBeforeActions } from '../core/cli/options';
import { byteSizeArg, durationArg, integerArg } from '../core/cli/values';
import { ConfigError, exitWithError } from '../core/errors';
import { startEmfReporter } from '../core/emf';
import { createLogger } from '../core/logging';
import { s3Location, S3Location } from '../core/results/s3';
import { parseAllowlist } from './allowlist';
import { addClusterOptions, checkAccess, clusterSettings, loadConfig, makeClient } from './cluster-options';
import { DocumentWorker } from './document-worker';
import { FailedDocumentSink, FileFailedDocuments, readFailedIds, S3FailedDocuments } from './failed-documents';
import { DEFAULT_WORKING_STATE_INDEX, LeaseStore } from './lease-store';
import { ProgressReporter } from './progress';
import { table } from '../core/table';
import { planSourceIndices } from './source-reader';
import { diffHashes, hashIndex, IndexDiff, isClean } from './verify';
import { summarize, WorkItem } from './work-items';

const workingStateOption = () =>
  cliOption('--working-state-index <name>', 'index on the target that holds work items and leases', { env: 'BACKFILL_WORKING_STATE_INDEX', default: DEFAULT_WORKING_STATE_INDEX });
const progressOption = () => cliOption('--progress <mode>', 'bar, json (a line every 5 s) or none; default: bar on a terminal, else json', { env: 'BACKFILL_PROGRESS', choices: ['bar', 'json', 'none'] });

/** --failed-documents-s3-*: the reference's tuple flags, for the backfill's refused documents. */
function addFailedDocumentsS3Options(cmd: Command): Command {
  return cmd
    .addOption(cliOption('--failed-documents-s3-bucket <bucket>', 'the refused documents are in this S3 bucket (closed gzip objects), not in --failed-documents-file', { env: 'BACKFILL_FAILED_DOCUMENTS_S3_BUCKET' }))
    .addOption(cliOption('--failed-documents-s3-prefix <prefix>', 'key prefix of the failed-document objects', { env: 'BACKFILL_FAILED_DOCUMENTS_S3_PREFIX', default: 'failed-documents/' }))
    .addOption(cliOption('--failed-documents-s3-region <region>', 'the bucket\'s region (default: AWS_REGION)', { env: 'BACKFILL_FAILED_DOCUMENTS_S3_REGION' }))
    .addOption(cliOption('--failed-documents-s3-endpoint <url>', 'an S3-compatible endpoint (moto, MinIO)', { env: 'BACKFILL_FAILED_DOCUMENTS_S3_ENDPOINT' }));
}

function failedDocumentsS3(opts: Record<string, any>): S3Location | undefined {
  if (!opts.failedDocumentsS3Bucket) return undefined;
  const region = opts.failedDocumentsS3Region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new ConfigError('--failed-documents-s3-bucket needs the bucket\'s region: --failed-documents-s3-region (or AWS_REGION)');
  return s3Location('--failed-documents-s3-bucket', opts.failedDocumentsS3Bucket, opts.failedDocumentsS3Prefix, region, opts.failedDocumentsS3Endpoint);
}

function isLoopback(url: string): boolean {
  return /^(localhost|127\.|\[::1\]|::1)/.test(new URL(url).hostname);
}

async function runWorkers(opts: Record<string, any>): Promise<void> {
  const yaml = loadConfig(opts);
  const sourceSettings = clusterSettings(opts, 'source', yaml);
  const targetSettings = clusterSettings(opts, 'target', yaml);
  const compress = opts.compress === 'on' || (opts.compress === 'auto' && !isLoopback(targetSettings.endpoint));
  // A read in flight and the next one prefetched per item.
  const [source, target] = await Promise.all([makeClient(sourceSettings, 2 * opts.itemsInFlight + 1), makeClient(targetSettings, opts.maxInFlight + 2)]);
  const workerId = opts.workerId ?? `${hostname()}-${process.pid}`;
  const s3 = failedDocumentsS3(opts);
  const failedDocuments: FailedDocumentSink = s3 ? new S3FailedDocuments(s3, { writerId: workerId }) : new FileFailedDocuments(opts.failedDocumentsFile);
  const log = createLogger({ name: 'document-backfill' }).child({ workerId });
  const progress = new ProgressReporter(opts.progress ?? (process.stderr.isTTY ? 'bar' : 'json'));
  const totals = { backfillDocumentsMigrated: 0, backfillDocumentsFailed: 0, backfillDocumentsRemaining: Number.NaN };
  const emf = startEmfReporter({
    metrics: { backfillDocumentsMigrated: { kind: 'counter' }, backfillDocumentsFailed: { kind: 'counter' }, backfillDocumentsRemaining: { kind: 'gauge' } },
    read: () => ({ ...totals }),
  });
  const worker = new DocumentWorker({
    source,
    target,
    store: new LeaseStore(target, opts.workingStateIndex),
    workerId,
    indexAllowlist: parseAllowlist(opts.indexAllowlist ?? yaml?.metadata_migration?.index_allowlist, '--index-allowlist'),
    leaseMs: opts.leaseDuration,
    pageSize: opts.pageSize,
    pagesInFlight: opts.pagesInFlight,
    itemsInFlight: opts.itemsInFlight,
    docsPerItem: opts.docsPerItem,
    // Short: a worker waiting on the last items of others notices at once when they are done.
    pollMs: Math.min(1000, Math.max(200, Math.floor(opts.leaseDuration / 4))),
    writer: { maxBulkBytes: opts.maxBulkBytes, maxInFlight: opts.maxInFlight, compress, failedDocuments },
    disableRefreshAndReplicas: Boolean(opts.disableRefreshAndReplicas),
    log,
    onProgress: (p) => {
      progress.update(p.done, p.total);
      totals.backfillDocumentsMigrated += p.written;
      totals.backfillDocumentsFailed += p.failed;
      totals.backfillDocumentsRemaining = Math.max(0, p.total - p.done);
    },
  });
  const started = Date.now();
  try {
    await checkAccess(source, 'source');
    await checkAccess(target, 'target');
    const result = await worker.run();
    progress.stop();
    const summary = { workerId, ...result, seconds: (Date.now() - started) / 1000, failedDocumentsFile: result.docsFailed > 0 ? failedDocuments.where : undefined };
    if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(`no work left: this worker completed ${result.itemsCompleted} work items, wrote ${result.docsWritten} documents in ${summary.seconds.toFixed(1)} s\n`);
      if (result.docsFailed > 0) process.stdout.write(`${result.docsFailed} documents were rejected by the target: see ${failedDocuments.where}\n`);
    }
  } finally {
    progress.stop();
    emf?.stop();
    await failedDocuments.close();
    await Promise.all([source.close(), target.close()]);
  }
}

async function showStatus(opts: Record<string, any>): Promise<void> {
  const target = await makeClient(clusterSettings(opts, 'target', loadConfig(opts)), 2);
  try {
    const store = new LeaseStore(target, opts.workingStateIndex);
    if (!(await store.exists())) throw new ConfigError(`the target has no working-state index ${opts.workingStateIndex}: no backfill has started (or pass the --working-state-index it used)`);
    const items = (await store.all<WorkItem | { kind: string }>()).map((v) => v.doc).filter((d): d is WorkItem => d.kind === 'item');
    const s = summarize(items, Date.now());
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ ...s, items: opts.items ? items : s.items })}\n`);
      return;
    }
    process.stdout.write(`work items: ${s.items} (done ${s.done}, leased ${s.leased}, left ${s.left})\ndocuments: ${s.docsDone} of about ${s.docsTotal}${s.failedDocs ? `, ${s.failedDocs} rejected by the target` : ''}\n`);
  } finally {
    await target.close();
  }
}

async function verify(opts: Record<string, any>): Promise<number> {
  const yaml = loadConfig(opts);
  const [source, target] = await Promise.all([makeClient(clusterSettings(opts, 'source', yaml), 2), makeClient(clusterSettings(opts, 'target', yaml), 2)]);
  try {
    const known = await readFailedIds({ file: opts.failedDocumentsFile, s3: failedDocumentsS3(opts) });
    await checkAccess(source, 'source');
    await checkAccess(target, 'target');
    const indices = Object.keys(await planSourceIndices(source, parseAllowlist(opts.indexAllowlist ?? yaml?.metadata_migration?.index_allowlist, '--index-allowlist')));
    const diffs: IndexDiff[] = [];
    for (const index of indices) {
      const exists = await target.request({ method: 'HEAD', path: `/${encodeURIComponent(index)}` });
      await target.request({ method: 'POST', path: `/${encodeURIComponent(index)}/_refresh` });
      const [s, t] = await Promise.all([hashIndex(source, index), exists.statusCode === 200 ? hashIndex(target, index) : Promise.resolve(new Map<string, string>())]);
      diffs.push(diffHashes(index, s, t, known));
    }
    const allowKnown = known.size > 0;
    const bad = diffs.filter((d) => !isClean(d, allowKnown));
    const limit = opts.maxIds as number;
    if (opts.json) {
      const cut = (ids: string[]) => ids.slice(0, limit);
      process.stdout.write(`${JSON.stringify({ ok: bad.length === 0, indices: diffs.map((d) => ({ ...d, missingOnTarget: cut(d.missingOnTarget), extraOnTarget: cut(d.extraOnTarget), different: cut(d.different), missingCount: d.missingOnTarget.length, extraCount: d.extraOnTarget.length, differentCount: d.different.length })) })}\n`);
    } else {
      const rows = diffs.map((d) => [d.index, String(d.sourceCount), String(d.targetCount), String(d.missingOnTarget.length), String(d.extraOnTarget.length), String(d.different.length), String(d.knownFailed), isClean(d, allowKnown) ? 'ok' : 'DIFFERENT']);
      process.stdout.write(table(['index', 'source docs', 'target docs', 'missing', 'extra', 'changed', 'known failed', 'result'], rows));
      for (const d of bad) {
        for (const [what, ids] of [['missing on target', d.missingOnTarget], ['only on target', d.extraOnTarget], ['different content', d.different]] as const) {
          if (ids.length) process.stdout.write(`${d.index}: ${what}: ${ids.slice(0, limit).join(', ')}${ids.length > limit ? ` (and ${ids.length - limit} more)` : ''}\n`);
        }
      }
      process.stdout.write(bad.length === 0 ? 'verify: the target holds the same documents as the source\n' : `verify: ${bad.length} of ${diffs.length} indices differ\n`);
    }
    return bad.length === 0 ? 0 : 1;
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}

/** The document backfill's command line; `env` is where its BACKFILL_* variables are read. */
export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('document-backfill').description('Copy every document of the source indices to the target, in parallel resumable workers, and verify the result').showHelpAfterError();
  readEnvBeforeActions(program, env);
  addClusterOptions(addFailedDocumentsS3Options(
    program
      .command('run')
      .description('work until no work item is left (run several at once: they share the work through leases on the target)')
      .addOption(cliOption('--index-allowlist <names...>', 'indices to copy: exact names or regex:PATTERN (default: all but system indices)', { env: 'BACKFILL_INDEX_ALLOWLIST' }))
      .addOption(workingStateOption())
      .addOption(cliOption('--worker-id <id>', 'this worker in leases and logs (default: host-pid)', { env: 'BACKFILL_WORKER_ID' }))
      .addOption(cliOption('--lease-duration <duration>', 'how long a silent worker keeps its work item', { env: 'BACKFILL_LEASE_DURATION', parse: durationArg({ minMs: 1 }), default: 300_000, defaultDescription: '5m' }))
      .addOption(cliOption('--page-size <docs>', 'documents read per source request', { env: 'BACKFILL_PAGE_SIZE', parse: integerArg(1), default: 5000 }))
      .addOption(cliOption('--items-in-flight <n>', 'work items (shard windows) each worker reads at once', { env: 'BACKFILL_ITEMS_IN_FLIGHT', parse: integerArg(1), default: 2 }))
      .addOption(cliOption('--docs-per-item <docs>', 'documents per work item when planning: each shard is split into _seq_no windows of about this many', { env: 'BACKFILL_DOCS_PER_ITEM', parse: integerArg(1), default: 50_000 }))
      .addOption(cliOption('--pages-in-flight <n>', 'pages being written at once per work item', { env: 'BACKFILL_PAGES_IN_FLIGHT', parse: integerArg(1), default: 3 }))
      .addOption(cliOption('--max-bulk-bytes <size>', 'size of one _bulk request', { env: 'BACKFILL_MAX_BULK_BYTES', parse: byteSizeArg(1), default: 10 * 1024 * 1024, defaultDescription: '10mb' }))
      .addOption(cliOption('--max-in-flight <n>', '_bulk requests in flight per worker', { env: 'BACKFILL_MAX_IN_FLIGHT', parse: integerArg(1), default: 4 }))
      .addOption(cliOption('--compress <when>', 'gzip _bulk bodies: auto is on unless the target is on loopback', { env: 'BACKFILL_COMPRESS', choices: ['auto', 'on', 'off'], default: 'auto' }))
      .addOption(cliOption('--failed-documents-file <file>', 'JSON lines of documents the target rejected, with the reason', { env: 'BACKFILL_FAILED_DOCUMENTS_FILE', default: 'failed-documents.jsonl' }))
      .addOption(cliOption('--disable-refresh-and-replicas', 'during the load, replicas 0 and refresh off on the target indices; restored when all is done', { env: 'BACKFILL_DISABLE_REFRESH_AND_REPLICAS' }))
      .addOption(progressOption())
      .option('--json', 'print the summary as JSON'),
  )).action(async (opts) => runWorkers(opts));
  addClusterOptions(
    program
      .command('status')
      .description('work items done, leased and left')
      .addOption(workingStateOption())
      .option('--items', 'with --json: every work item')
      .option('--json', 'print as JSON'),
    ['target'],
  ).action(async (opts) => showStatus(opts));
  addClusterOptions(addFailedDocumentsS3Options(
    program
      .command('verify')
      .description('compare document counts and a content hash per document between source and target; exit 1 when any differ')
      .addOption(cliOption('--index-allowlist <names...>', 'indices to verify (default: all but system indices)', { env: 'BACKFILL_INDEX_ALLOWLIST' }))
      .addOption(cliOption('--failed-documents-file <file>', 'documents listed here (rejected by the target) are reported but do not fail the verify'))
      .addOption(cliOption('--max-ids <n>', 'ids to print per index and kind', { parse: integerArg(1), default: 20 }))
      .option('--json', 'print as JSON'),
  )).action(async (opts) => {
    process.exitCode = await verify(opts);
  });
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err) => exitWithError(err));
}
