import { ConfigError, ERROR_CATALOG, errorBody, EXIT_LEASE_LOST, LeaseLostError, UserError } from '../../../runtime/src/core/errors';

describe('error catalog', () => {
  it('gives every code an exit code, an HTTP error status and a hint', () => {
    for (const [code, e] of Object.entries(ERROR_CATALOG)) {
      expect([code, e.exitCode > 0, e.httpStatus >= 400 && e.httpStatus < 600, e.hint.length > 10]).toEqual([code, true, true, true]);
    }
  });

  it('maps a lost lease race to its own code and exit code, not the usage code 2', () => {
    const err = new LeaseLostError('another worker took over the setup lease');
    expect(err).toBeInstanceOf(UserError);
    expect({ code: err.code, exitCode: err.exitCode, httpStatus: err.httpStatus }).toEqual({ code: 'LEASE_LOST', exitCode: 75, httpStatus: 409 });
    expect(EXIT_LEASE_LOST).not.toBe(new ConfigError('x').exitCode);
    expect(Object.entries(ERROR_CATALOG).filter(([, e]) => e.exitCode === EXIT_LEASE_LOST).map(([c]) => c)).toEqual(['LEASE_LOST']);
  });

  it('answers in JSON with the code, the message and the hint; unknown errors are INTERNAL', () => {
    expect(errorBody(new UserError('BULK_RETRIES_EXHAUSTED', '3 documents still refused'))).toEqual({ error: 'BULK_RETRIES_EXHAUSTED', message: '3 documents still refused', hint: ERROR_CATALOG.BULK_RETRIES_EXHAUSTED.hint });
    expect(errorBody(new Error('boom'))).toEqual({ error: 'INTERNAL', message: 'boom', hint: ERROR_CATALOG.INTERNAL.hint });
    expect(new UserError('CONFIG', 'x').exitCode).toBe(2);
    expect(new UserError('CLUSTER_UNREACHABLE', 'x')).toMatchObject({ exitCode: 1, httpStatus: 502 });
  });
});
