// autocannon ships no types; the benchmark uses only these parts of its result.
declare module 'autocannon' {
  interface Stats { average: number; p50: number; p99: number }
  interface Result { requests: Stats; latency: Stats; errors: number; non2xx: number }
  function autocannon(opts: Record<string, unknown>): Promise<Result>;
  export = autocannon;
}
