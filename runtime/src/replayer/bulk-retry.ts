/** Per-item statuses worth another attempt: the item was refused for load, not for its content. */
const RETRYABLE_STATUS = (status: number) => status === 429 || status >= 500;
/** A newer version on the target is the outcome external versioning wants: never worth a retry. */
const NEVER_RETRIED = 'version_conflict_engine_exception';

/**
 * Which failed items get another attempt: by default those refused for load (429/5xx); with the
 * reference's --non-retryable-doc-exception-types, every failed item whose error type is not listed.
 */
function retryableItem(result: any, nonRetryableTypes?: ReadonlySet<string>): boolean {
  const item = result ? (Object.values(result)[0] as { status?: number; error?: { type?: string } }) : undefined;
  const status = Number(item?.status);
  if (!nonRetryableTypes) return RETRYABLE_STATUS(status);
  const type = item?.error?.type;
  return status >= 300 && type !== NEVER_RETRIED && !(type !== undefined && nonRetryableTypes.has(type));
}

/**
 * The part of a _bulk body whose items failed retryably, or undefined when there is none (or the
 * response is not a _bulk answer with errors). Items map to actions in order; delete has no source.
 */
export function retryableBulkBody(requestBody: Buffer, responseBody: Buffer, nonRetryableTypes?: ReadonlySet<string>): Buffer | undefined {
  if (!responseBody.includes('"errors":true')) return undefined;
  let items: any[];
  try {
    items = JSON.parse(responseBody.toString('utf8')).items;
  } catch {
    return undefined;
  }
  if (!Array.isArray(items)) return undefined;
  const lines = requestBody.toString('utf8').split('\n');
  const keep: string[] = [];
  let item = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    let op: string;
    try {
      op = Object.keys(JSON.parse(lines[i]))[0];
    } catch {
      return undefined;
    }
    const hasSource = op !== 'delete';
    if (retryableItem(items[item++], nonRetryableTypes)) {
      keep.push(lines[i]);
      if (hasSource && i + 1 < lines.length) keep.push(lines[i + 1]);
    }
    if (hasSource) i++;
  }
  return keep.length ? Buffer.from(keep.join('\n') + '\n') : undefined;
}
