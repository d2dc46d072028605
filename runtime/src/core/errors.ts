/**
 * The error catalog of every service: each code a user can meet, the exit code a CLI ends with,
 * the HTTP status the console's API answers with, and a hint on what to do (the message itself
 * names the problem and the particular fix). Exit codes: 1 a failure, 2 a usage or configuration
 * error, 75 a race lost to another worker (temporary: run again).
 */
export interface CatalogEntry {
  readonly exitCode: number;
  readonly httpStatus: number;
  readonly hint: string;
}

const usage = (httpStatus: number, hint: string): CatalogEntry => ({ exitCode: 2, httpStatus, hint });
const failure = (httpStatus: number, hint: string): CatalogEntry => ({ exitCode: 1, httpStatus, hint });

/** Exit code of a lost lease race: EX_TEMPFAIL of sysexits.h, "try again later". */
export const EXIT_LEASE_LOST = 75;

export const ERROR_CATALOG = {
  // Usage and configuration: the caller must change what it asked for.
  CONFIG: usage(400, 'fix the flag, environment variable or services.yaml key the message names (--help lists them)'),
  BAD_REQUEST: usage(400, 'correct the request as the message says'),
  BAD_ENDPOINT: usage(400, 'give the endpoint as a URL with scheme, host and port, e.g. https://host:9200'),
  RISK_NOT_ACKNOWLEDGED: usage(400, 'pass --acknowledge-risk (API: "acknowledgeRisk": true) if you mean to delete data'),
  UNSUPPORTED_MEDIA_TYPE: usage(415, 'send state changes as JSON (content-type: application/json)'),
  UNAUTHORIZED: usage(401, 'send the console API token as "authorization: Bearer <token>"'),
  FORBIDDEN_HOST: usage(403, 'call the console API by the host name it listens on'),
  ROUTE_NOT_FOUND: usage(404, 'check the path: GET /api/routes lists the routes'),
  // services.yaml does not name the thing the command works on.
  NOT_CONFIGURED: usage(409, 'add the missing section to services.yaml'),
  CLUSTER_MISSING: usage(404, 'name the cluster in services.yaml (source_cluster / target_cluster) or by flags'),
  // The thing is configured but does not exist where it should.
  ECS_SERVICE_MISSING: failure(404, 'deploy the service (cdk deploy) or fix the ecs names in services.yaml'),
  ECS_SERVICE_INACTIVE: failure(409, 'redeploy the service: it was deleted'),
  TOPIC_MISSING: failure(404, 'start the capture proxy (it creates the topic) or check the topic name'),
  CONSUMER_GROUP_MISSING: failure(404, 'start the replayer once (it creates the group) or check the group id'),
  WORKING_STATE_MISSING: failure(404, 'start a backfill first, or pass the --working-state-index it used'),
  NOT_INSTALLED: failure(501, 'run the local stack and the demo from a checkout of the repository (npm run demo, npm run local -- up)'),
  LISTENER_MISSING: failure(404, 'deploy the capture proxy fleet with its load balancer'),
  TARGET_GROUP_MISSING: failure(404, 'deploy the capture proxy fleet with its target groups'),
  // The state of the migration forbids it now.
  WORKERS_STILL_RUNNING: failure(409, 'stop the workers first (backfill stop), then retry'),
  TOPIC_EXISTS: failure(409, 'delete the topic first, or keep it'),
  REPLAY_LAG_TOO_HIGH: failure(409, 'wait for the replayer to catch up, then retry'),
  REPLAY_LAG_UNKNOWN: failure(409, 'make sure the replayer runs and commits offsets, then retry'),
  LEASE_LOST: { exitCode: EXIT_LEASE_LOST, httpStatus: 409, hint: 'another worker holds the work now: run again (raise --lease-duration if a worker is often too slow to renew)' },
  // Something a service depends on failed or is away.
  CLUSTER_UNREACHABLE: failure(502, 'check the endpoint, the network path and TLS settings, then retry'),
  CLUSTER_REQUEST: failure(502, 'read the cluster\'s answer in the message; fix the cause on the cluster, then retry'),
  CLUSTER_AUTH: failure(502, 'check the cluster credentials (basic auth, SigV4 role or secret)'),
  BULK_FAILED: failure(502, 'read the target\'s answer in the message; fix the cause on the target, then run again (nothing was checkpointed past it)'),
  BULK_RETRIES_EXHAUSTED: failure(503, 'the target is overloaded: run again later, with fewer workers or a lower --max-in-flight'),
  KAFKA_UNREACHABLE: failure(502, 'check the broker addresses, the network path and the Kafka auth settings'),
  KAFKA_REQUEST: failure(502, 'read the broker\'s answer in the message, then retry'),
  ECS_CALL_FAILED: failure(502, 'check the AWS credentials, region and the IAM policy for ECS'),
  AWS_CALL_FAILED: failure(502, 'check the AWS credentials, region and IAM policy for the call named'),
  METRICS_SOURCE_FAILED: failure(502, 'check metrics_source in services.yaml and that it answers'),
  SECRET_UNREADABLE: failure(502, 'check the secret ARN and that this role may read it (secretsmanager:GetSecretValue)'),
  // The capture proxy.
  LISTEN: failure(500, 'choose another --listenPort, or stop what holds it'),
  WORKER: failure(500, 'read the worker\'s error in the message; it is the same as with --numThreads 1'),
  // The local stack and the demo.
  PORT_BUSY: failure(409, 'stop what holds the port or choose another with the matching --*-port option'),
  NO_JAVA: failure(500, 'install a JDK 17 or newer, or set JAVA_HOME'),
  OLD_JAVA: failure(500, 'install a JDK 17 or newer, or set JAVA_HOME'),
  NO_MAVEN: failure(500, 'install Maven, or set MAVEN_CMD'),
  MAVEN_FAILED: failure(502, 'check access to Maven Central, then retry'),
  KAFKA_FORMAT_FAILED: failure(500, 'read the storage tool\'s output in the message; remove the data directory if it is stale'),
  START_FAILED: failure(500, 'read the server log lines in the message'),
  START_TIMEOUT: failure(500, 'read the server log lines in the message; a loaded machine may need a longer wait'),
  STACK_FAILED: failure(500, 'read the reasons in the message; the logs are kept'),
  DEMO_STEP_FAILED: failure(500, 'read the step\'s log named in the message'),
  DEMO_SEED_FAILED: failure(500, 'check that the source cluster accepts writes'),
  DEMO_TIMEOUT: failure(500, 'the machine may be loaded: run the demo again'),
  INTERNAL: failure(500, 'this is a bug: report it with the log (--verbose shows the stack)'),
} as const satisfies Record<string, CatalogEntry>;

export type CatalogCode = keyof typeof ERROR_CATALOG;

export function catalogEntry(code: string): CatalogEntry | undefined {
  return Object.hasOwn(ERROR_CATALOG, code) ? (ERROR_CATALOG as Record<string, CatalogEntry>)[code] : undefined;
}

/**
 * An error a user can act on: a stable code, a message that names the problem and the fix,
 * and the exit code a CLI maps it to (the catalog's, unless given).
 */
export class UserError extends Error {
  readonly exitCode: number;

  constructor(
    readonly code: CatalogCode,
    message: string,
    exitCode?: number,
  ) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode ?? catalogEntry(code)?.exitCode ?? 1;
  }

  /** The status an HTTP API answers this error with. */
  get httpStatus(): number {
    return catalogEntry(this.code)?.httpStatus ?? 500;
  }

  /** What to do, in general, about errors of this code. */
  get hint(): string {
    return catalogEntry(this.code)?.hint ?? ERROR_CATALOG.INTERNAL.hint;
  }
}

/** Another worker won the race for a lease this one held or wanted. */
export class LeaseLostError extends UserError {
  constructor(message: string) {
    super('LEASE_LOST', message);
    this.name = 'LeaseLostError';
  }
}

/** Invalid configuration, flags or input: exit code 2, like a usage error. */
export class ConfigError extends UserError {
  constructor(message: string) {
    super('CONFIG', message, 2);
    this.name = 'ConfigError';
  }
}

/** The JSON form of an error, as the console's API and `--json` print it. */
export function errorBody(err: unknown): { error: string; message: string; hint: string } {
  if (err instanceof UserError) return { error: err.code, message: err.message, hint: err.hint };
  return { error: 'INTERNAL', message: err instanceof Error ? err.message : String(err), hint: ERROR_CATALOG.INTERNAL.hint };
}

/** Prints an error for a CLI and exits with its code; unexpected errors keep their stack. */
export function exitWithError(err: unknown, opts: { json?: boolean; verbose?: boolean } = {}): never {
  if (opts.json) {
    // On stdout, where a script that asked for JSON reads; the exit code still says it failed.
    process.stdout.write(`${JSON.stringify(errorBody(err))}\n`);
    if (opts.verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  } else if (err instanceof UserError) {
    // One line: the message names the problem and the fix; --verbose adds the catalog's hint.
    process.stderr.write(`${err.name}: ${err.message}\n`);
    if (opts.verbose) process.stderr.write(`hint: ${err.hint}\n${err.stack ?? ''}\n`);
  } else {
    process.stderr.write(`Unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(err instanceof UserError ? err.exitCode : 1);
}
