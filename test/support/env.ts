/** Endpoints of the stack that global-setup started (or that the environment named). */
export function stackEndpoints() {
  const need = (name: string) => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set: run the integration suite through jest (global-setup starts the local stack)`);
    return v;
  };
  return {
    sourceUrl: need('MIGRATION_SOURCE_URL'),
    targetUrl: need('MIGRATION_TARGET_URL'),
    kafkaBrokers: need('MIGRATION_KAFKA_BROKERS'),
    kafkaScramBrokers: process.env.MIGRATION_KAFKA_SCRAM_BROKERS,
    motoUrl: process.env.MIGRATION_MOTO_URL,
  };
}

/** A name unique to this run, for topics, indices and groups that tests must not share. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}
