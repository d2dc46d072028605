import { ConfigError } from '../../core/errors';
import type { ClusterYaml } from '../../core/services-yaml';
import { clusterClientFor } from '../cluster-access';
import type { Resend } from './baseline';
import { loadNoiseRules } from './noise-rules';
import { buildReport, TuplesReport } from './report';
import { describeLocation, TupleLocation } from './tuple-source';

export interface TuplesReportRequest {
  location: TupleLocation;
  /** --noise-rules FILE */
  noiseRulesFile?: string;
  floatTolerance?: number;
  top?: number;
  /** --baseline source: the source cluster to send reads to again. */
  baseline?: { source: ClusterYaml; sampleRate: number; maxPerEndpoint: number };
  /** Where the source's SigV4 region and secret region defaults are read. */
  env?: NodeJS.ProcessEnv;
}

/** `tuples report`, for the CLI and the API alike: the comparison of every tuple at a location. */
export async function tuplesReport(req: TuplesReportRequest): Promise<TuplesReport> {
  const rules = req.noiseRulesFile ? loadNoiseRules(req.noiseRulesFile) : [];
  if (req.floatTolerance !== undefined && !(req.floatTolerance >= 0 && req.floatTolerance < 1)) throw new ConfigError(`--float-tolerance must be a number from 0 to below 1 (got ${req.floatTolerance})`);
  let close: (() => Promise<void>) | undefined;
  let baseline: Parameters<typeof buildReport>[0]['baseline'];
  if (req.baseline) {
    const { sampleRate, maxPerEndpoint } = req.baseline;
    if (!(sampleRate > 0 && sampleRate <= 1)) throw new ConfigError(`--baseline-sample-rate must be above 0 and at most 1 (got ${sampleRate})`);
    const client = await clusterClientFor(req.baseline.source, 'migration-console-baseline', {}, req.env);
    close = () => client.close();
    // One attempt each: a read that fails is left out of the learning, never retried onto the source.
    const resend: Resend = (r) => client.request({ method: r.method, path: r.path, body: r.body.length ? r.body : undefined, headers: r.headers, retry: false });
    baseline = { resend, sampleRate, maxPerEndpoint };
  }
  try {
    const report = await buildReport({ location: req.location, rules, floatTolerance: req.floatTolerance, top: req.top, baseline });
    if (report.tuples === 0) throw new ConfigError(`${describeLocation(req.location)} holds no tuples (its files hold no JSON object with a sourceRequest, targetRequest or connectionId)`);
    return report;
  } finally {
    await close?.();
  }
}
