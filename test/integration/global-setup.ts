import { startMoto } from '../support/moto';
import { stackEnv, up } from '../../runtime/src/local/stack';

/** Ports of the test stack: apart from the demo's defaults so both can run at once. */
export const TEST_STACK = { name: 'test', ports: { kafka: 9192, source: 19210, target: 29210 } };

/**
 * Starts the local stack once for the integration suite, or reuses one named by
 * MIGRATION_SOURCE_URL / MIGRATION_TARGET_URL / MIGRATION_KAFKA_BROKERS, and hands the endpoints to
 * the tests through those variables. Also starts moto (MIGRATION_MOTO_URL) for AWS APIs.
 */
export default async function globalSetup(): Promise<void> {
  const reuse = process.env.MIGRATION_SOURCE_URL && process.env.MIGRATION_TARGET_URL && process.env.MIGRATION_KAFKA_BROKERS;
  if (!reuse) {
    const started = Date.now();
    const state = await up({ ...TEST_STACK, log: (line) => process.stderr.write(`[local stack] ${line}\n`) });
    Object.assign(process.env, stackEnv(state));
    // A stack another run started is that run's to stop.
    if (!state.reused) process.env.MIGRATION_TEST_STACK_OWNED = '1';
    process.stderr.write(`[local stack] up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  if (!process.env.MIGRATION_MOTO_URL) {
    const moto = await startMoto();
    process.env.MIGRATION_MOTO_URL = moto.url;
    process.env.MIGRATION_MOTO_PID = String(moto.process.pid);
  }
}
