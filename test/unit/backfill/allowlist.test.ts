import { isBuiltinTemplate, isSystemIndex, parseAllowlist, selectNames } from '../../../runtime/src/backfill/allowlist';

describe('allowlists', () => {
  it('matches exact names and anchored regex: entries', () => {
    const a = parseAllowlist(['orders', 'regex:logs-\\d+'], '--index-allowlist')!;
    expect(a.matches('orders')).toBe(true);
    expect(a.matches('orders2')).toBe(false);
    expect(a.matches('logs-2024')).toBe(true);
    expect(a.matches('xlogs-2024')).toBe(false);
  });

  it('accepts comma-separated values as from an env var', () => {
    expect(parseAllowlist('a, b', '--index-allowlist')!.entries).toEqual(['a', 'b']);
    expect(parseAllowlist(undefined, '--index-allowlist')).toBeUndefined();
  });

  it('reports exact names that are not there', () => {
    expect(parseAllowlist(['a', 'typo', 'regex:x.*'], 'f')!.missing(['a', 'b'])).toEqual(['typo']);
  });

  it('names the flag when a pattern is invalid', () => {
    expect(() => parseAllowlist(['regex:(('], '--index-allowlist')).toThrow(/--index-allowlist: "regex:\(\(" is not a valid regular expression/);
  });

  it('skips system and built-in items unless an allowlist names them', () => {
    const names = ['.kibana_1', 'orders', 'apm-7.10-span', 'ilm-history-2', 'security-auditlog-2024', 'customers'];
    expect(selectNames(names, undefined, isSystemIndex)).toEqual(['customers', 'orders']);
    expect(selectNames(names, parseAllowlist(['.kibana_1'], 'f'), isSystemIndex)).toEqual(['.kibana_1']);
    expect(['logs', 'metrics', 'traces', 'ilm-history', '.monitoring-es', 'my-template'].filter(isBuiltinTemplate)).toEqual(['logs', 'metrics', 'traces', 'ilm-history', '.monitoring-es']);
  });
});
