/** Per-item statuses worth another attempt: the item was refused for load, not for its content. */
const RETRYABLE_ITEM = (status: number) => status === 429 || status >= 500;

/**
 * The part of a _bulk body whose items failed retryably, or undefined when there is none (or the
 * response is not a _bulk answer with errors). Items map to actions in order; delete has no source.
 */
export function retryableBulkBody(requestBody: Buffer, responseBody: Buffer): Buffer | undefined {
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
    const result = items[item++];
    const status = result ? Number((Object.values(result)[0] as { status?: number })?.status) : 0;
    if (RETRYABLE_ITEM(status)) {
      keep.push(lines[i]);
      if (hasSource && i + 1 < lines.length) keep.push(lines[i + 1]);
    }
    if (hasSource) i++;
  }
  return keep.length ? Buffer.from(keep.join('\n') + '\n') : undefined;
}
