/**
 * The error catalog: every code a user can meet, with the HTTP status an API answers it with and
 * the exit code a CLI ends with. A code not listed here answers 500 and exits 1.
 */
export const ERROR_CATALOG = {
  // Usage and configuration: the caller must change what it asked for.
  CONFIG: { httpStatus: 400, exitCode: 2 },
  BAD_REQUEST: { httpStatus: 400, exitCode: 2 },
  BAD_ENDPOINT: { httpStatus: 400, exitCode: 2 },
  RISK_NOT_ACKNOWLEDGED: { httpStatus: 400, exitCode: 2 },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, exitCode: 2 },
  UNAUTHORIZED: { httpStatus: 401, exitCode: 2 },
  FORBIDDEN_HOST: { httpStatus: 403, exitCode: 2 },
  ROUTE_NOT_FOUND: { httpStatus: 404, exitCode: 2 },
  // services.yaml does not name the thing the command works on.
  NOT_CONFIGURED: { httpStatus: 409, exitCode: 2 },
  // The thing is configured but does not exist where it should.
  ECS_SERVICE_MISSING: { httpStatus: 404, exitCode: 1 },
  ECS_SERVICE_INACTIVE: { httpStatus: 409, exitCode: 1 },
  TOPIC_MISSING: { httpStatus: 404, exitCode: 1 },
  CONSUMER_GROUP_MISSING: { httpStatus: 404, exitCode: 1 },
  WORKING_STATE_MISSING: { httpStatus: 404, exitCode: 1 },
  CLUSTER_MISSING: { httpStatus: 404, exitCode: 2 },
  LISTENER_MISSING: { httpStatus: 404, exitCode: 1 },
  TARGET_GROUP_MISSING: { httpStatus: 404, exitCode: 1 },
  // The state of the migration forbids it now.
  WORKERS_STILL_RUNNING: { httpStatus: 409, exitCode: 1 },
  TOPIC_EXISTS: { httpStatus: 409, exitCode: 1 },
  REPLAY_LAG_TOO_HIGH: { httpStatus: 409, exitCode: 1 },
  REPLAY_LAG_UNKNOWN: { httpStatus: 409, exitCode: 1 },
  // Something the console depends on failed or is away.
  CLUSTER_UNREACHABLE: { httpStatus: 502, exitCode: 1 },
  CLUSTER_REQUEST: { httpStatus: 502, exitCode: 1 },
  CLUSTER_AUTH: { httpStatus: 502, exitCode: 1 },
  KAFKA_UNREACHABLE: { httpStatus: 502, exitCode: 1 },
  KAFKA_REQUEST: { httpStatus: 502, exitCode: 1 },
  ECS_CALL_FAILED: { httpStatus: 502, exitCode: 1 },
  AWS_CALL_FAILED: { httpStatus: 502, exitCode: 1 },
  METRICS_SOURCE_FAILED: { httpStatus: 502, exitCode: 1 },
  SECRET_UNREADABLE: { httpStatus: 502, exitCode: 1 },
  INTERNAL: { httpStatus: 500, exitCode: 1 },
} as const satisfies Record<string, { httpStatus: number; exitCode: number }>;

export type CatalogCode = keyof typeof ERROR_CATALOG;

function catalogEntry(code: string): { httpStatus: number; exitCode: number } | undefined {
  return (ERROR_CATALOG as Record<string, { httpStatus: number; exitCode: number }>)[code];
}

/**
 * An error a user can act on: a stable code, a message that names the problem and the fix,
 * and the exit code a CLI maps it to (the catalog's, unless given).
 */
export class UserError extends Error {
  readonly exitCode: number;

  constructor(
    readonly code: string,
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
}

/** Invalid configuration, flags or input: exit code 2, like a usage error. */
export class ConfigError extends UserError {
  constructor(message: string) {
    super('CONFIG', message, 2);
    this.name = 'ConfigError';
  }
}

/** The JSON form of an error, as the console's API and `--json` print it. */
export function errorBody(err: unknown): { error: string; message: string } {
  if (err instanceof UserError) return { error: err.code, message: err.message };
  return { error: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

/** Prints an error for a CLI and exits with its code; unexpected errors keep their stack. */
export function exitWithError(err: unknown, opts: { json?: boolean; verbose?: boolean } = {}): never {
  if (opts.json) {
    // On stdout, where a script that asked for JSON reads; the exit code still says it failed.
    process.stdout.write(`${JSON.stringify(errorBody(err))}\n`);
    if (opts.verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  } else if (err instanceof UserError) {
    process.stderr.write(`${err.name}: ${err.message}\n`);
    if (opts.verbose && err.stack) process.stderr.write(`${err.stack}\n`);
  } else {
    process.stderr.write(`Unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(err instanceof UserError ? err.exitCode : 1);
}
