/**
 * An error a user can act on: a stable code, a message that names the problem and the fix,
 * and the exit code a CLI maps it to.
 */
export class UserError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Invalid configuration, flags or input: exit code 2, like a usage error. */
export class ConfigError extends UserError {
  constructor(message: string) {
    super('CONFIG', message, 2);
    this.name = 'ConfigError';
  }
}

/** Prints an error for a CLI and exits with its code; unexpected errors keep their stack. */
export function exitWithError(err: unknown): never {
  if (err instanceof UserError) {
    process.stderr.write(`${err.name}: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`Unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
