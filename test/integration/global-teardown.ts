import { isAlive } from '../../runtime/src/local/servers';
import { down, readState } from '../../runtime/src/local/stack';
import { TEST_STACK } from './global-setup';

/** Stops what global-setup started, and fails the run if any server process survived. */
export default async function globalTeardown(): Promise<void> {
  const motoPid = Number(process.env.MIGRATION_MOTO_PID);
  if (motoPid) {
    try {
      process.kill(-motoPid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  if (process.env.MIGRATION_TEST_STACK_OWNED !== '1' || process.env.MIGRATION_KEEP_STACK === '1') return;
  const state = readState(TEST_STACK.name);
  await down(TEST_STACK.name, { log: (line) => process.stderr.write(`[local stack] ${line}\n`) });
  const survivors = Object.values(state?.servers ?? {}).filter((s) => s && isAlive(s.pid));
  if (survivors.length > 0) throw new Error(`local stack down left processes behind: ${survivors.map((s) => `${s!.kind} pid ${s!.pid}`).join(', ')}`);
}
