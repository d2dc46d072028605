import { tupleLocation } from '../../../../runtime/src/console/commands/tuples';
import type { ConsoleContext } from '../../../../runtime/src/console/context';
import { ConfigError } from '../../../../runtime/src/core/errors';
import { parseServicesYaml } from '../../../../runtime/src/core/services-yaml';

function ctx(over: Partial<ConsoleContext> = {}, yaml = ''): ConsoleContext {
  return { config: async () => parseServicesYaml(yaml), stateDir: '/tmp/x', env: {}, progress: () => undefined, ...over };
}

describe('where the tuples verbs read', () => {
  it('takes the flags first, then the console\'s directory, then its task environment, then services.yaml', async () => {
    const yaml = 'tuples:\n  s3:\n    bucket: from-yaml\n    region: eu-west-1\n';
    const all = ctx({ tupleDir: '/api/dir', env: { MIGRATION_TUPLE_S3_BUCKET: 'from-env', MIGRATION_TUPLE_S3_PREFIX: 'run1' } }, yaml);
    expect(await tupleLocation(all, { tupleDir: '/flag/dir' })).toEqual({ dir: '/flag/dir' });
    expect(await tupleLocation(all, { tupleS3Bucket: 'from-flag', tupleS3Prefix: 'tuples/' })).toMatchObject({ s3: { bucket: 'from-flag', prefix: 'tuples/' } });
    expect(await tupleLocation(all, {})).toEqual({ dir: '/api/dir' });
    expect(await tupleLocation(ctx({ env: all.env }, yaml), {})).toMatchObject({ s3: { bucket: 'from-env', prefix: 'run1/' } });
    expect(await tupleLocation(ctx({}, yaml), {})).toMatchObject({ s3: { bucket: 'from-yaml', prefix: 'tuples/', region: 'eu-west-1' } });
    expect(await tupleLocation(ctx({}, 'tuples:\n  directory: /yaml/dir\n'), {})).toEqual({ dir: '/yaml/dir' });
  });

  it('names every way to give them when there is none, also without a readable services.yaml', async () => {
    await expect(tupleLocation(ctx(), {})).rejects.toThrow(/no tuples to read: pass --tuple-dir/);
    const broken = ctx({ config: async () => parseServicesYaml('tuples: [') });
    await expect(tupleLocation(broken, {})).rejects.toThrow(ConfigError);
    await expect(tupleLocation(broken, {})).rejects.toThrow(/no tuples to read/);
  });
});
