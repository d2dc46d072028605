import { ConfigError } from './errors';

export type Flavor = 'ES' | 'OS' | 'AOSS';

export interface ClusterVersion {
  flavor: Flavor;
  major: number;
  minor: number;
  patch: number;
}

/** From the body of `GET /`: OpenSearch says so in version.distribution, Elasticsearch does not. */
export function versionFromRootResponse(body: unknown): ClusterVersion {
  const version = (body as { version?: { number?: unknown; distribution?: unknown } })?.version;
  if (typeof version?.number !== 'string') {
    throw new Error('GET / did not return version.number: is this an Elasticsearch or OpenSearch endpoint?');
  }
  const [major, minor, patch] = version.number.split(/[.-]/).map((p) => Number.parseInt(p, 10));
  return { flavor: version.distribution === 'opensearch' ? 'OS' : 'ES', major, minor: minor || 0, patch: patch || 0 };
}

/** Config form, as in services.yaml: ES_7.10, OS_2.19, ES_6.8.23, AOSS (serverless, no version). */
export function parseVersion(text: string, key = 'version'): ClusterVersion {
  if (/^aoss$/i.test(text)) return { flavor: 'AOSS', major: 2, minor: 0, patch: 0 };
  const m = /^(ES|OS)[_ ](\d+)(?:\.(\d+))?(?:\.(\d+))?$/i.exec(text.trim());
  if (!m) throw new ConfigError(`${key} must look like ES_7.10, OS_2.19 or AOSS (got "${text}")`);
  return { flavor: m[1].toUpperCase() as Flavor, major: Number(m[2]), minor: Number(m[3] ?? 0), patch: Number(m[4] ?? 0) };
}

export function formatVersion(v: ClusterVersion): string {
  return v.flavor === 'AOSS' ? 'AOSS' : `${v.flavor} ${v.major}.${v.minor}.${v.patch}`;
}

/** True when the cluster is at least the given version of the same flavor (OpenSearch counts as past ES 7.10). */
export function isAtLeast(v: ClusterVersion, flavor: 'ES' | 'OS', major: number, minor = 0): boolean {
  if (v.flavor === 'AOSS') return flavor === 'OS';
  if (v.flavor === 'OS' && flavor === 'ES') return true;
  if (v.flavor !== flavor) return false;
  return v.major > major || (v.major === major && v.minor >= minor);
}
