import { formatVersion, isAtLeast, parseVersion, versionFromRootResponse } from '../../../runtime/src/core/version';
import { parseJavaVersion } from '../../../runtime/src/local/java-env';

describe('cluster versions', () => {
  it('reads GET / of Elasticsearch and OpenSearch', () => {
    expect(versionFromRootResponse({ version: { number: '7.10.2', build_flavor: 'default' } })).toEqual({ flavor: 'ES', major: 7, minor: 10, patch: 2 });
    expect(versionFromRootResponse({ version: { number: '2.19.1', distribution: 'opensearch' } })).toEqual({ flavor: 'OS', major: 2, minor: 19, patch: 1 });
    expect(() => versionFromRootResponse({ ok: true })).toThrow(/version.number/);
  });

  it('parses the config form and compares', () => {
    expect(parseVersion('ES_7.10')).toEqual({ flavor: 'ES', major: 7, minor: 10, patch: 0 });
    expect(formatVersion(parseVersion('os_2.19.1'))).toBe('OS 2.19.1');
    expect(parseVersion('AOSS').flavor).toBe('AOSS');
    expect(() => parseVersion('opensearch')).toThrow(/ES_7.10, OS_2.19 or AOSS/);
    expect(isAtLeast(parseVersion('ES_7.10'), 'ES', 7, 10)).toBe(true);
    expect(isAtLeast(parseVersion('ES_6.8'), 'ES', 7, 10)).toBe(false);
    expect(isAtLeast(parseVersion('OS_1.3'), 'ES', 7, 10)).toBe(true);
  });

  it('reads java -version output', () => {
    expect(parseJavaVersion('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaVersion('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaVersion('nothing')).toBeUndefined();
  });
});
