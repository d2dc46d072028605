import { Command } from 'commander';
import { checkValue, cliOption } from '../../../../runtime/src/core/cli/options';
import { byteSizeArg, durationArg, integerArg, isoDurationArg, numberArg, portArg, urlArg, ValueParser } from '../../../../runtime/src/core/cli/values';
import { ConfigError } from '../../../../runtime/src/core/errors';

/** The message a flag gets for a refused value. */
function refusal(parse: ValueParser<unknown>, value: string): string {
  try {
    checkValue('--x', value, parse);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`"${value}" was accepted`);
}

describe('shared option parsers', () => {
  it('integers: whole numbers within the range, the range in the refusal', () => {
    expect(integerArg(0, 10)('7')).toBe(7);
    expect(integerArg(-5)('-5')).toBe(-5);
    expect(integerArg(1)(' 42 ')).toBe(42);
    for (const bad of ['', 'x', '1.5', '1e3', '0x10', '11', '-1']) expect(refusal(integerArg(0, 10), bad)).toBe(`--x must be a whole number from 0 to 10 (got "${bad}")`);
    expect(refusal(integerArg(1), '0')).toBe('--x must be a whole number >= 1 (got "0")');
    expect(refusal(portArg(), '65536')).toBe('--x must be a whole number from 1 to 65535 (got "65536")');
    expect(portArg(0)('0')).toBe(0);
  });

  it('numbers: decimals, with an inclusive or an exclusive lower bound', () => {
    expect(numberArg({ min: 0.1 })('0.1')).toBe(0.1);
    expect(numberArg({ above: 0 })('2.5')).toBe(2.5);
    expect(refusal(numberArg({ above: 0 }), '0')).toBe('--x must be a number > 0 (got "0")');
    expect(refusal(numberArg({ min: 0, max: 1 }), '1.5')).toBe('--x must be a number from 0 to 1 (got "1.5")');
    for (const bad of ['', ' ', 'NaN', 'Infinity', 'one']) expect(refusal(numberArg(), bad)).toMatch(/must be a number/);
  });

  it('durations: ms, s, m, h, d, a bare number in the given unit', () => {
    const d = durationArg();
    expect([d('500ms'), d('30s'), d('5m'), d('2h'), d('1d'), d('1.5s'), d('30')]).toEqual([500, 30_000, 300_000, 7_200_000, 86_400_000, 1500, 30_000]);
    expect(durationArg({ unit: 'ms' })('250')).toBe(250);
    expect(refusal(d, '5 minutes')).toBe('--x must be a duration such as 500ms, 30s or 5m (got "5 minutes")');
    expect(refusal(durationArg({ minMs: 1 }), '0s')).toBe('--x must be a duration such as 500ms, 30s or 5m (at least 1 ms) (got "0s")');
    expect(refusal(d, '-1s')).toMatch(/must be a duration/);
  });

  it('ISO-8601 durations, as the reference\'s Java flags take them', () => {
    const d = isoDurationArg();
    expect([d('PT30S'), d('PT1M30S'), d('P1D'), d('pt0.5s')]).toEqual([30_000, 90_000, 86_400_000, 500]);
    for (const bad of ['30s', 'P', 'PT', 'P1DT']) expect(refusal(d, bad)).toBe(`--x must be an ISO-8601 duration such as PT30S (got "${bad}")`);
    expect(refusal(d, 'PT0S')).toMatch(/longer than 0/);
  });

  it('byte sizes: plain bytes or binary units, within limits', () => {
    const b = byteSizeArg();
    expect([b('1048576'), b('512kb'), b('10mb'), b('10MB'), b('1gb'), b('1.5k'), b('2 MiB')]).toEqual([1048576, 512 * 1024, 10 * 1024 ** 2, 10 * 1024 ** 2, 1024 ** 3, 1536, 2 * 1024 ** 2]);
    expect(refusal(b, '10 megabytes')).toBe('--x must be a size such as 10mb or 1048576 (got "10 megabytes")');
    expect(refusal(byteSizeArg(4096, 65536), '1kb')).toBe('--x must be a size such as 10mb or 1048576 (4096 to 65536 bytes) (got "1kb")');
    expect(refusal(byteSizeArg(1), '0')).toBe('--x must be a size such as 10mb or 1048576 (at least 1 bytes) (got "0")');
  });

  it('URLs: http(s) with a host, kept as given', () => {
    const u = urlArg('https://target:9200');
    expect(u('https://target:9200')).toBe('https://target:9200');
    expect(u('http://10.0.0.1:9200/')).toBe('http://10.0.0.1:9200/');
    for (const bad of ['target9200', 'ftp://x:21', 'http://', '']) expect(refusal(u, bad)).toBe(`--x must be a URL such as https://target:9200, starting with http:// or https:// (got "${bad}")`);
  });
});

describe('cliOption', () => {
  it('refuses a value from the command line in one line that names the flag', () => {
    const cmd = new Command().exitOverride().addOption(cliOption('--size <bytes>', 'x', { parse: byteSizeArg(1), default: 5 }));
    expect(() => cmd.parse(['--size', 'big'], { from: 'user' })).toThrow(new ConfigError('--size must be a size such as 10mb or 1048576 (at least 1 bytes) (got "big")'));
    cmd.parse(['--size', '2kb'], { from: 'user' });
    expect(cmd.opts().size).toBe(2048);
  });

  it('checks choices with the same message form, and shows the variable in --help', () => {
    const cmd = new Command().exitOverride().addOption(cliOption('--mode <m>', 'how', { choices: ['a', 'b'], env: 'T_MODE' }));
    expect(() => cmd.parse(['--mode', 'c'], { from: 'user' })).toThrow('--mode must be one of a, b (got "c")');
    expect(cmd.helpInformation()).toContain('how (env: T_MODE) (choices: "a", "b")');
  });
});
