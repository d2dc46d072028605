import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { integerArg, numberArg } from '../../core/cli/values';
import { UserError } from '../../core/errors';
import type { ServicesYaml } from '../../core/services-yaml';
import { ConsoleContext, requireSection } from '../context';
import { renderHtml } from '../report/render-html';
import { renderText } from '../report/render-text';
import type { TuplesReport } from '../report/report';
import { resolveTupleLocation, TupleLocation, TupleLocationFlags } from '../report/tuple-source';
import { tuplesReport } from '../report/tuples-report';
import { ShownTuple, showTuples, summarizeTuples, TupleSummary } from '../tuples';
import { Verb, VerbOption } from '../verb';

/**
 * Where the tuples are: the replayer's own flags on the command line; else the directory the
 * console was started with; else MIGRATION_TUPLE_S3_BUCKET/_PREFIX (what the CDK app gives the
 * console task); else services.yaml's tuples section.
 */
export async function tupleLocation(ctx: ConsoleContext, input: TupleLocationFlags): Promise<TupleLocation> {
  if (input.tupleDir || input.tupleS3Bucket) return resolveTupleLocation(input);
  if (ctx.tupleDir) return { dir: ctx.tupleDir };
  const bucket = ctx.env.MIGRATION_TUPLE_S3_BUCKET;
  if (bucket) return resolveTupleLocation({ tupleS3Bucket: bucket, tupleS3Prefix: ctx.env.MIGRATION_TUPLE_S3_PREFIX ?? 'tuples/', tupleS3Endpoint: ctx.env.MIGRATION_TUPLE_S3_ENDPOINT });
  let yaml: ServicesYaml | undefined;
  try {
    yaml = await ctx.config();
  } catch (err) {
    // No readable services.yaml: the error to show is the one that names every way to give the tuples.
    if (!(err instanceof UserError)) throw err;
  }
  return resolveTupleLocation({}, yaml?.tuples);
}

const cliOnly = (key: string, flags: string, description: string, extra: Partial<VerbOption> = {}): VerbOption => ({ key, flags, description, schema: { type: 'string' }, cliOnly: true, ...extra });

/** The replayer's flags, on the command line only: the API reads what the console was configured with. */
const locationOptions: VerbOption[] = [
  cliOnly('tupleDir', '--tuple-dir <dir>', 'the replayer\'s --tuple-dir'),
  cliOnly('tupleS3Bucket', '--tuple-s3-bucket <bucket>', 'the replayer\'s --tuple-s3-bucket'),
  cliOnly('tupleS3Prefix', '--tuple-s3-prefix <prefix>', 'the replayer\'s --tuple-s3-prefix', { default: 'tuples/' }),
  cliOnly('tupleS3Region', '--tuple-s3-region <region>', 'the bucket\'s region (default: AWS_REGION)'),
  cliOnly('tupleS3Endpoint', '--tuple-s3-endpoint <url>', 'an S3-compatible endpoint'),
];

export const tuplesSummary: Verb<TupleLocationFlags, TupleSummary> = {
  path: ['tuples', 'summary'],
  description: 'status codes and latency of the two clusters\' answers to the same requests',
  kind: 'read',
  options: locationOptions,
  output: {
    type: 'object',
    properties: {
      tuples: { type: 'integer' },
      statusMatches: { type: 'integer' },
      statusMismatches: { type: 'integer' },
      errors: { type: 'integer' },
      statusPairs: { type: 'array', items: { type: 'object', properties: { method: { type: 'string' }, source: { type: ['integer', 'null'] }, target: { type: ['integer', 'null'] }, count: { type: 'integer' } } } },
      sourceLatencyMsP50: { type: ['number', 'null'] },
      targetLatencyMsP50: { type: ['number', 'null'] },
    },
  },
  run: async (ctx, input) => summarizeTuples(await tupleLocation(ctx, input)),
  text: (s) =>
    [
      `${s.tuples} requests replayed: ${s.statusMatches} same status, ${s.statusMismatches} different, ${s.errors} with errors`,
      `median latency: source ${s.sourceLatencyMsP50 ?? '-'} ms, target ${s.targetLatencyMsP50 ?? '-'} ms`,
      ...s.statusPairs.map((p) => `  ${p.method.padEnd(7)} source ${String(p.source ?? '-').padEnd(4)} target ${String(p.target ?? '-').padEnd(4)} x${p.count}${p.source === p.target ? '' : '   <- differs'}`),
    ].join('\n'),
};

function indent(text: string, prefix: string): string {
  return text ? text.split('\n').slice(0, 20).map((l) => `    ${prefix}${l}`).join('\n') : '';
}

export const tuplesShow: Verb<TupleLocationFlags & { limit?: number; mismatches?: boolean; verdict?: 'same' | 'expected' | 'different' }, ShownTuple[]> = {
  path: ['tuples', 'show'],
  description: 'requests with both answers, bodies decoded (our tuples and the reference\'s)',
  kind: 'read',
  options: [
    ...locationOptions,
    { key: 'limit', flags: '--limit <n>', description: 'how many', schema: { type: 'integer', minimum: 0, maximum: 10000 }, parse: integerArg(0, 100000), default: 10 },
    { key: 'mismatches', flags: '--mismatches', description: 'only requests whose statuses differ', schema: { type: 'boolean' } },
    { key: 'verdict', flags: '--verdict <verdict>', description: 'only requests with this verdict of `tuples report`, with what differs', schema: { type: 'string' }, choices: ['same', 'expected', 'different'] },
  ],
  output: { type: 'array', items: { type: 'object', additionalProperties: true } },
  async run(ctx, input) {
    const limit = input.limit ?? 10;
    if (limit === 0) return [];
    return showTuples(await tupleLocation(ctx, input), { limit, mismatches: input.mismatches, verdict: input.verdict });
  },
  text: (shown) =>
    shown
      .map((s) =>
        [
          `${s.connectionId}  ${s.request}`,
          `  source ${s.sourceStatus ?? '-'}  target ${s.targetStatus ?? '-'}${s.error ? `  error: ${s.error}` : ''}${s.verdict ? `  ${s.verdict}${s.reason ? ` (${s.reason})` : ''}` : ''}`,
          ...(s.differences ?? []).map((d) => `    ${d.path}: source ${d.source}  target ${d.target}`),
          indent(s.requestBody, 'req '),
          indent(s.sourceBody, 'src '),
          indent(s.targetBody, 'tgt '),
        ]
          .filter(Boolean)
          .join('\n'),
      )
      .join('\n\n'),
};

type ReportInput = TupleLocationFlags & {
  noiseRules?: string;
  floatTolerance?: number;
  top?: number;
  html?: string;
  baseline?: 'source';
  baselineSampleRate?: number;
  baselineMaxPerEndpoint?: number;
};

export const tuplesReportVerb: Verb<ReportInput, TuplesReport & { htmlFile?: string }> = {
  path: ['tuples', 'report'],
  description: 'compares every answer: a verdict per request (same, expected with its reason, different with the JSON paths that differ) by class; exit 1 when any is different',
  kind: 'read',
  options: [
    ...locationOptions,
    cliOnly('noiseRules', '--noise-rules <file>', 'your own noise rules (YAML or JSON): [{method?, path?, class?, ignore: [json paths]}]'),
    { key: 'floatTolerance', flags: '--float-tolerance <x>', description: 'relative tolerance for non-integer numbers', schema: { type: 'number', minimum: 0, exclusiveMaximum: 1 }, parse: numberArg({ min: 0 }), default: 1e-6 },
    { key: 'top', flags: '--top <n>', description: 'endpoints listed with their differences', schema: { type: 'integer', minimum: 1, maximum: 1000 }, parse: integerArg(1, 1000), default: 10 },
    cliOnly('html', '--html <file>', 'also write a self-contained HTML report with charts'),
    cliOnly('baseline', '--baseline <cluster>', 'learn noise: send sampled reads to the source again; what differs between its two answers is noise for that endpoint (never writes)', { choices: ['source'] }),
    cliOnly('baselineSampleRate', '--baseline-sample-rate <r>', 'share of an endpoint\'s reads sent again after its first (0-1)', { parse: numberArg({ min: 0, max: 1 }), default: 1 }),
    cliOnly('baselineMaxPerEndpoint', '--baseline-max-per-endpoint <n>', 'reads sent again per endpoint at most', { parse: integerArg(1, 100000), default: 20 }),
  ],
  // The report's own shape (see TuplesReport); its parts are open for what later versions add.
  output: { type: 'object', additionalProperties: true },
  async run(ctx, input) {
    const location = await tupleLocation(ctx, input);
    const baseline = input.baseline
      ? { source: requireSection(await ctx.config(), 'source_cluster'), sampleRate: input.baselineSampleRate ?? 1, maxPerEndpoint: input.baselineMaxPerEndpoint ?? 20 }
      : undefined;
    const report = await tuplesReport({ location, noiseRulesFile: input.noiseRules, floatTolerance: input.floatTolerance, top: input.top, baseline, env: ctx.env });
    if (!input.html) return report;
    writeFileSync(input.html, renderHtml(report));
    return { ...report, htmlFile: path.resolve(input.html) };
  },
  text: (r) => `${renderText(r)}${r.htmlFile ? `\nHTML report: ${r.htmlFile}` : ''}`,
  html: renderHtml,
  exitCode: (r) => (r.totals.different > 0 ? 1 : 0),
};

export const tupleVerbs = [tuplesSummary, tuplesShow, tuplesReportVerb];
