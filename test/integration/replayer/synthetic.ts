import { CapturedConnection } from '../../support/capture-encoder';
import { httpRequest } from './support';

const CREATED = (body: string) => Buffer.from(`HTTP/1.1 201 Created\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);

/**
 * Connections of single-document PUTs with ids `<conn>-<i>`, spread over spanMs of capture time:
 * a workload whose every request leaves a trace (the document) on the target.
 */
export function putWorkload(index: string, connections: number, perConnection: number, spanMs: number, startMs = Date.now()): CapturedConnection[] {
  return Array.from({ length: connections }, (_, c) => ({
    connectionId: `put-${c}`,
    exchanges: Array.from({ length: perConnection }, (_, i) => {
      const t = startMs + ((i + c / connections) * spanMs) / perConnection;
      const id = `${c}-${i}`;
      return {
        request: httpRequest('PUT', `/${index}/_doc/${id}`, JSON.stringify({ c, i })),
        response: CREATED(`{"_index":"${index}","_id":"${id}","result":"created"}`),
        requestTs: t,
        responseTs: t + 3,
      };
    }),
  }));
}
