import { UserError } from '../core/errors';
import type { ConsoleContext } from './context';

/** A JSON Schema, as fastify takes it. */
export type JsonSchema = Record<string, unknown>;

/** One input of a verb: a flag on the command line, a property of the API's query or body. */
export interface VerbOption {
  /** Input property. */
  key: string;
  /** commander flags: '-X, --request <method>', '--refresh'. */
  flags: string;
  description: string;
  schema: JsonSchema;
  /** Turns command-line text into the value (a parser of core/cli/values, or one that throws ValueError); repeatable flags get the previous value. */
  parse?: (value: string, previous: any) => unknown;
  default?: unknown;
  choices?: readonly string[];
  /** Required on the command line (the API schema lists it as required too). */
  required?: boolean;
  /** Only on the command line (e.g. a reference flag whose API form is another key). */
  cliOnly?: boolean;
}

/** A positional argument on the command line; a property in the API. */
export interface VerbArgument {
  key: string;
  /** As --help shows it: '<cluster>', '[group]'. */
  name: string;
  description: string;
  schema: JsonSchema;
  parse?: (value: string) => unknown;
}

/**
 * A console verb: a function that returns data, declared once for the CLI (text or --json) and the
 * HTTP API (JSON, with the same input and output schemas).
 */
export interface Verb<I extends Record<string, any> = any, O = any> {
  /** ['clusters', 'curl'] is `migration-console clusters curl` and /api/clusters/curl. */
  path: readonly [string, string];
  description: string;
  /** read: GET with the input in the query string. change: POST with a JSON body. */
  kind: 'read' | 'change';
  /** Refused unless the input says acknowledgeRisk: true (--acknowledge-risk). */
  destructive?: boolean;
  args?: VerbArgument[];
  options?: VerbOption[];
  output: JsonSchema;
  /** Not served by the API (it prints a shell script, or runs long in the foreground). */
  cliOnly?: boolean;
  run(ctx: ConsoleContext, input: I): Promise<O>;
  /** What a person reads. */
  text(output: O, input: I): string;
  /** A self-contained HTML page of the output: the API serves it for `?format=html` (a read verb only). */
  html?(output: O): string;
  /** A result that is itself a failure (an unreachable cluster) exits non-zero. */
  exitCode?(output: O): number;
}

export const ACKNOWLEDGE_RISK: VerbOption = {
  key: 'acknowledgeRisk',
  flags: '--acknowledge-risk',
  description: 'confirm that you mean it: this deletes data',
  schema: { type: 'boolean' },
};

/** Runs a verb after the checks every caller gets: a destructive verb needs its acknowledgement. */
export async function runVerb<I extends Record<string, any>, O>(verb: Verb<I, O>, ctx: ConsoleContext, input: I): Promise<O> {
  if (verb.destructive && input.acknowledgeRisk !== true) {
    const [group, name] = verb.path;
    throw new UserError(
      'RISK_NOT_ACKNOWLEDGED',
      `${group} ${name} deletes data and was not run: pass --acknowledge-risk (in the API: {"acknowledgeRisk": true}) if you mean it`,
    );
  }
  return verb.run(ctx, input);
}

/** The input properties of a verb as one JSON Schema object (the API's query or body). */
export function inputSchema(verb: Verb): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const a of verb.args ?? []) {
    properties[a.key] = a.schema;
    if (a.name.startsWith('<')) required.push(a.key);
  }
  for (const o of verb.options ?? []) {
    if (o.cliOnly) continue;
    properties[o.key] = o.choices ? { ...o.schema, enum: [...o.choices] } : o.schema;
    if (o.required) required.push(o.key);
  }
  if (verb.destructive && !properties.acknowledgeRisk) properties.acknowledgeRisk = ACKNOWLEDGE_RISK.schema;
  return { type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) };
}
