import { diffHashes, isClean, sourceHash } from '../../../runtime/src/backfill/verify';
import { progressBar, progressNumbers } from '../../../runtime/src/backfill/progress';

describe('verify', () => {
  it('hashes content, not formatting', () => {
    expect(sourceHash('{"a":1,"b":"x"}')).toBe(sourceHash('{ "b" : "x", "a" : 1 }'));
    expect(sourceHash('{"a":1}')).not.toBe(sourceHash('{"a":2}'));
  });

  it('finds missing, extra and changed documents by _id', () => {
    const s = new Map([['1', 'h1'], ['2', 'h2'], ['3', 'h3']]);
    const t = new Map([['1', 'h1'], ['3', 'hX'], ['4', 'h4']]);
    const d = diffHashes('idx', s, t, new Set());
    expect(d).toMatchObject({ sourceCount: 3, targetCount: 3, missingOnTarget: ['2'], extraOnTarget: ['4'], different: ['3'] });
    expect(isClean(d, false)).toBe(false);
  });

  it('passes only when the differences are all documents the target rejected', () => {
    const s = new Map([['1', 'h1'], ['bad', 'hb']]);
    const d = diffHashes('idx', s, new Map([['1', 'h1']]), new Set(['idx\u0000bad']));
    expect(d.knownFailed).toBe(1);
    expect(isClean(d, true)).toBe(true);
    expect(isClean(d, false)).toBe(false);
    expect(isClean(diffHashes('idx', s, new Map(), new Set(['idx\u0000bad'])), true)).toBe(false);
  });
});

describe('progress', () => {
  it('shows done of total, rate and ETA of this run', () => {
    const p = { done: 600, total: 1000, startedAt: 0, doneAtStart: 100 };
    expect(progressNumbers(p, 10_000)).toEqual({ done: 600, total: 1000, percent: 60, docsPerSecond: 50, etaSeconds: 8 });
    expect(progressBar(p, 10_000, 10)).toBe('[######----] 600/1000 docs 60.0% 50 docs/s ETA 8s');
  });
});
