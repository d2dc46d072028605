import { integerArg } from '../../core/cli/options';
import { UserError } from '../../core/errors';
import type { ConsoleContext } from '../context';
import { decodeBody, readTuples, summarizeTuples, TupleSummary } from '../tuples';
import { Verb, VerbOption } from '../verb';

/** The directory to read: --tuple-dir on the command line; in the API only the one the console was started with. */
function tupleDir(ctx: ConsoleContext, input: { tupleDir?: string }): string {
  const dir = input.tupleDir ?? ctx.tupleDir;
  if (!dir) throw new UserError('NOT_CONFIGURED', 'no tuple directory: pass --tuple-dir (the replayer\'s --tuple-dir), or start the API with --tuple-dir or MIGRATION_TUPLE_DIR');
  return dir;
}

const tupleDirOption: VerbOption = { key: 'tupleDir', flags: '--tuple-dir <dir>', description: 'the replayer\'s --tuple-dir', schema: { type: 'string' }, cliOnly: true };

export const tuplesSummary: Verb<{ tupleDir?: string }, TupleSummary> = {
  path: ['tuples', 'summary'],
  description: 'how the two clusters answered the same requests',
  kind: 'read',
  options: [tupleDirOption],
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
  run: async (ctx, input) => summarizeTuples(tupleDir(ctx, input)),
  text: (s) =>
    [
      `${s.tuples} requests replayed: ${s.statusMatches} same status, ${s.statusMismatches} different, ${s.errors} with errors`,
      `median latency: source ${s.sourceLatencyMsP50 ?? '-'} ms, target ${s.targetLatencyMsP50 ?? '-'} ms`,
      ...s.statusPairs.map((p) => `  ${p.method.padEnd(7)} source ${String(p.source ?? '-').padEnd(4)} target ${String(p.target ?? '-').padEnd(4)} x${p.count}${p.source === p.target ? '' : '   <- differs'}`),
    ].join('\n'),
};

export interface ShownTuple {
  connectionId: string;
  request: string;
  requestBody: string;
  sourceStatus?: unknown;
  sourceBody: string;
  targetStatus?: unknown;
  targetBody: string;
  error?: string;
}

function indent(text: string, prefix: string): string {
  return text ? text.split('\n').slice(0, 20).map((l) => `    ${prefix}${l}`).join('\n') : '';
}

export const tuplesShow: Verb<{ tupleDir?: string; limit?: number; mismatches?: boolean }, ShownTuple[]> = {
  path: ['tuples', 'show'],
  description: 'requests with both answers, bodies decoded',
  kind: 'read',
  options: [
    tupleDirOption,
    { key: 'limit', flags: '--limit <n>', description: 'how many', schema: { type: 'integer', minimum: 0, maximum: 10000 }, parse: integerArg(0, 10000), default: 10 },
    { key: 'mismatches', flags: '--mismatches', description: 'only requests whose statuses differ', schema: { type: 'boolean' } },
  ],
  output: { type: 'array', items: { type: 'object', additionalProperties: true } },
  async run(ctx, input) {
    const shown: ShownTuple[] = [];
    const limit = input.limit ?? 10;
    if (limit === 0) return shown;
    for await (const t of readTuples(tupleDir(ctx, input))) {
      const target = t.targetResponses?.[t.targetResponses.length - 1];
      if (input.mismatches && t.sourceResponse?.['Status-Code'] === target?.['Status-Code']) continue;
      shown.push({
        connectionId: t.connectionId,
        request: `${t.sourceRequest?.Method} ${t.sourceRequest?.['Request-URI']}`,
        requestBody: decodeBody(t.sourceRequest?.body as string, t.sourceRequest),
        sourceStatus: t.sourceResponse?.['Status-Code'],
        sourceBody: decodeBody(t.sourceResponse?.body as string, t.sourceResponse),
        targetStatus: target?.['Status-Code'],
        targetBody: decodeBody(target?.body as string, target),
        error: t.error ?? undefined,
      });
      if (shown.length >= limit) break;
    }
    return shown;
  },
  text: (shown) =>
    shown
      .map((s) => `${s.connectionId}  ${s.request}\n  source ${s.sourceStatus}  target ${s.targetStatus}${s.error ? `  error: ${s.error}` : ''}\n${indent(s.requestBody, 'req ')}\n${indent(s.sourceBody, 'src ')}\n${indent(s.targetBody, 'tgt ')}`)
      .join('\n\n'),
};

export const tupleVerbs = [tuplesSummary, tuplesShow];
