// The result every benchmark ends with: the last line `npm run bench` prints (see bench/run.ts).

export interface BenchResult {
  bench: string;
  n: number;
  seconds: number;
  perSec: number;
  baselinePerSec: number;
  ratio: number;
  peakRssMb: number;
}

/** `x` rounded to `digits` decimals, as the summaries print it. */
export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** The result of `n` items done in `seconds`, against the baseline's `baselineSeconds` for the same items. */
export function benchResult(bench: string, n: number, seconds: number, baselineSeconds: number, peakRssMb: number): BenchResult {
  const perSec = n / seconds;
  const baselinePerSec = n / baselineSeconds;
  return {
    bench,
    n,
    seconds: round(seconds, 3),
    perSec: round(perSec),
    baselinePerSec: round(baselinePerSec),
    ratio: round(perSec / baselinePerSec, 3),
    peakRssMb: round(peakRssMb),
  };
}
