import type { HttpRequest, HttpResponse } from '../core/http/message';
import type { PreparedRequest } from './prepare';
import type { CapturedRequest } from './reassembler';
import type { TargetAttempt } from './sender';
import { settleWrite, WritePlan } from './write-plan';

/**
 * - replayed: the target answered (its last attempt got a response);
 * - targetError: sent, and the last attempt got no response;
 * - notSent: unparseable, dropped or failed by a transform, or the send itself failed;
 * - skipped: a write the source refused: nothing to send.
 */
export type Delivery = 'replayed' | 'targetError' | 'notSent' | 'skipped';

/** Source and target statuses of a replayed request: equal, different for a reason the versions explain, or different. */
export type StatusComparison = 'matched' | 'explained' | 'differed';

/**
 * What became of one request, built once when its tuple is due: the summary, the metrics and the
 * tuple line each read it and change nothing in it.
 */
export interface RequestOutcome {
  readonly captured: CapturedRequest;
  readonly source?: HttpRequest;
  readonly sourceResponse?: HttpResponse;
  readonly prepared?: PreparedRequest;
  readonly attempts: readonly TargetAttempt[];
  readonly delivery: Delivery;
  /** The tuple's error: why the request was not sent, or the last attempt's. */
  readonly error: string | null;
  /** Document writes that were sent or skipped: the verdict, settled with the target's answers. */
  readonly plan?: WritePlan;
  /** Source time between the request's last read and its response's last write. */
  readonly sourceMs?: number;
  /** The last attempt's time, when it got a response. */
  readonly targetMs?: number;
  /** Replayed requests with a source response. */
  readonly status?: StatusComparison;
}

/** A request at the end of its way: what the replayer learnt about it. */
export interface FinishedRequest {
  captured: CapturedRequest;
  source?: HttpRequest;
  sourceResponse?: HttpResponse;
  prepared?: PreparedRequest;
  attempts?: TargetAttempt[];
  plan?: WritePlan;
  /** Why it was not sent. */
  error?: string;
}

/** The outcome of a finished request; settles its write plan with the target's answers. */
export function requestOutcome(req: FinishedRequest): RequestOutcome {
  const { captured, prepared } = req;
  // A write that was not sent (unparseable, transform failed, target unreachable) has no verdict: its error says why.
  const plan = req.error ? undefined : req.plan;
  const sourceResponse = req.sourceResponse;
  const attempts = req.attempts ?? [];
  if (plan) {
    settleWrite(plan, sourceResponse?.statusCode, attempts);
    // Items a transform left out shift the target's answer: its statuses cannot be matched to the source's items.
    if (plan.items && prepared?.droppedItems) plan.detail = `${plan.detail ? `${plan.detail}; ` : ''}${prepared.droppedItems} items left out by the transforms: target statuses not matched`;
  }
  const last = attempts[attempts.length - 1];
  let delivery: Delivery;
  if (req.error) delivery = 'notSent';
  else if (!last) delivery = 'skipped';
  else if (last.error !== undefined) delivery = 'targetError';
  else delivery = 'replayed';
  let status: StatusComparison | undefined;
  if (delivery === 'replayed' && sourceResponse) {
    if (sourceResponse.statusCode === last.statusCode) status = 'matched';
    else status = plan?.explained ? 'explained' : 'differed';
  }
  return {
    captured,
    source: req.source,
    sourceResponse,
    prepared,
    attempts,
    delivery,
    error: req.error ?? last?.error ?? null,
    plan,
    sourceMs: captured.sourceResponseTs !== undefined ? captured.sourceResponseTs - captured.lastTs : undefined,
    targetMs: delivery === 'replayed' ? last.timeMs : undefined,
    status,
  };
}
