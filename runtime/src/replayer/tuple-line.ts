import type { RequestOutcome } from './outcome';
import { attemptJson, maskedRawRequest, preparedJson, requestJson, responseJson, TupleAuth, tupleJson } from './tuple';
import { bulkItemsJson } from './write-plan';

/** A request's tuple, as one JSON line, from its outcome; credentials as `sourceAuth` and `targetAuth` say. */
export function tupleLine(o: RequestOutcome, sourceAuth: TupleAuth, targetAuth: TupleAuth): string {
  const { captured, source, prepared, plan } = o;
  // The target request's body is the source's unless a transform changed it: one base64 for both.
  const source64 = source ? source.body.toString('base64') : maskedRawRequest(captured.bytes, sourceAuth).toString('base64');
  let numErrors = 0;
  const targetResponses: string[] = [];
  for (const a of o.attempts) {
    if (a.error !== undefined || (a.statusCode ?? 0) >= 500) numErrors++;
    targetResponses.push(attemptJson(a));
  }
  return tupleJson({
    connectionId: `${captured.connectionId}.${captured.index}`,
    nodeId: captured.nodeId,
    timestamp: Number.isFinite(captured.firstTs) && captured.firstTs > 0 ? new Date(captured.firstTs).toISOString() : undefined,
    sourceRequest: source ? requestJson(source, source64, sourceAuth) : `{"body":"${source64}"}`,
    sourceResponse: o.sourceResponse ? responseJson(o.sourceResponse, o.sourceMs ?? 0) : 'null',
    targetRequest: prepared ? preparedJson(prepared, source?.httpVersion ?? 'HTTP/1.1', source && prepared.body === source.body ? source64 : undefined, targetAuth) : 'null',
    targetResponses,
    numRequests: o.attempts.length,
    numErrors,
    error: o.error,
    expired: captured.expired,
    outcome: plan?.outcome,
    outcomeDetail: plan?.detail,
    bulkItems: plan?.items ? bulkItemsJson(plan.items) : undefined,
  });
}
