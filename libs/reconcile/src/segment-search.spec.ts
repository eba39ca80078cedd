import { segmentVerdict, splitParts, splitRange } from './segment-search';
import { compareKeys, keyText } from './key-order';
import { EvenKeyCuts, evenKeyBoundaries, evenKeyCuts, unionSpan, type KeyCuts } from './key-span';
import { driftItems } from '../test/drift-fixture';
import { tortureNames } from '../test/torture-fixture';
import type { EntityDefinition } from '@dualwrite/stores';

const intKeyed: EntityDefinition = { ...driftItems, fields: { ...driftItems.fields, id: { type: 'int', column: 'id' } } };

describe('segmentVerdict', () => {
  it('is equal when count and checksum agree', () => {
    expect(segmentVerdict({ count: 5, checksum: 'x' }, { count: 5, checksum: 'x' }, 10)).toBe('equal');
  });
  it('compares rows when the checksums differ and both sides are within the limit', () => {
    expect(segmentVerdict({ count: 10, checksum: 'x' }, { count: 10, checksum: 'y' }, 10)).toBe('compare_rows');
  });
  it('splits when either side is over the limit, even if the other is empty', () => {
    expect(segmentVerdict({ count: 0, checksum: 'e' }, { count: 11, checksum: 'y' }, 10)).toBe('split');
  });
  it('is not equal when the checksums agree but the counts do not', () => {
    expect(segmentVerdict({ count: 1, checksum: 'x' }, { count: 2, checksum: 'x' }, 10)).toBe('compare_rows');
  });
});

describe('splitParts', () => {
  const options = { splitFactor: 16, maxSplitParts: 4096, rowCompareLimit: 100 };
  it('splits into parts of about half the row-compare limit when both sides checksum all parts in one query', () => {
    expect(splitParts(25_000, options, true)).toBe(500);
  });
  it('makes at least 2 parts and at most maxSplitParts', () => {
    expect(splitParts(51, options, true)).toBe(2);
    expect(splitParts(10_000_000, options, true)).toBe(4096);
  });
  it('uses the split factor when a side pays one query per part', () => {
    expect(splitParts(25_000, options, false)).toBe(16);
  });
});

describe('splitRange', () => {
  it('cuts an open range at the boundaries into adjacent parts', () => {
    expect(splitRange({}, [10, 20])).toEqual([{ to: 10 }, { from: 10, to: 20 }, { from: 20 }]);
  });
  it('keeps the outer bounds of a closed range', () => {
    expect(splitRange({ from: 1, to: 30 }, [10])).toEqual([{ from: 1, to: 10 }, { from: 10, to: 30 }]);
  });
  it('gives the range itself without boundaries', () => {
    expect(splitRange({ from: 'a' }, [])).toEqual([{ from: 'a' }]);
  });
});

describe('evenKeyBoundaries', () => {
  it('cuts an int key span into parts of equal width, each boundary above the smallest key', () => {
    expect(evenKeyBoundaries(intKeyed, 1, 100, 4)).toEqual([26, 51, 76]);
  });
  it('gives no more boundaries than the span has keys, and none for a single key', () => {
    expect(evenKeyBoundaries(intKeyed, 10, 12, 8)).toEqual([11, 12]);
    expect(evenKeyBoundaries(intKeyed, 7, 7, 8)).toEqual([]);
  });
  it('cuts a uuid span as 128-bit numbers, in uuid order, in lower case', () => {
    expect(evenKeyBoundaries(driftItems, '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', 4)).toEqual([
      '40000000-0000-0000-0000-000000000000',
      '80000000-0000-0000-0000-000000000000',
      'c0000000-0000-0000-0000-000000000000',
    ]);
  });
  it('refuses a split into fewer than 2 parts and a key that is not a uuid', () => {
    expect(() => evenKeyBoundaries(intKeyed, 1, 10, 1)).toThrow('at least 2 parts');
    expect(() => evenKeyBoundaries(driftItems, 'x', 'y', 2)).toThrow('"x" is not a uuid');
  });
});

describe('evenKeyCuts', () => {
  const all = (cuts: KeyCuts | undefined) => (cuts ? Array.from({ length: cuts.length }, (_, index) => cuts.at(index)) : undefined);
  it('names the cuts of an int span by arithmetic, as evenKeyBoundaries does, and nothing past the last', () => {
    const cuts = evenKeyCuts(intKeyed, 1, 100, 4);
    expect(cuts).toBeInstanceOf(EvenKeyCuts);
    expect(all(cuts)).toEqual([26, 51, 76]);
    expect(cuts?.at(3)).toBeUndefined();
    expect(all(evenKeyCuts(intKeyed, 10, 12, 8))).toEqual([11, 12]);
    expect(evenKeyCuts(intKeyed, 7, 7, 8)).toEqual([]);
    expect(all(evenKeyCuts(intKeyed, -5, 5, 2))).toEqual([1]);
  });
  it('leaves an int span too wide for bigint arithmetic to evenKeyBoundaries', () => {
    expect(evenKeyCuts(intKeyed, '-9000000000000000000', '9000000000000000000', 4)).toBeUndefined();
  });
  it('cuts a uuid span in the 3 bytes after the bytes its ends share, the rest of each cut zero', () => {
    expect(all(evenKeyCuts(driftItems, '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', 4))).toEqual([
      '40000000-0000-0000-0000-000000000000',
      '80000000-0000-0000-0000-000000000000',
      'c0000000-0000-0000-0000-000000000000',
    ]);
    const cuts = evenKeyCuts(driftItems, '0123aa00-0000-7000-8000-000000000000', '0123ab00-0000-7000-8000-0000000000ff', 2);
    expect(cuts).toMatchObject({ prefix: '0123', windowByte: 2 });
    expect(all(cuts)).toEqual(['0123aa80-0100-0000-0000-000000000000']);
    expect(all(evenKeyCuts(driftItems, '01234567-89ab-cdef-0123-456789abcd00', '01234567-89ab-cdef-0123-456789abcd03', 8))).toEqual([
      '01234567-89ab-cdef-0123-456789abcd01',
      '01234567-89ab-cdef-0123-456789abcd02',
      '01234567-89ab-cdef-0123-456789abcd03',
    ]);
  });
  it('refuses a split into fewer than 2 parts and text keys', () => {
    expect(() => evenKeyCuts(intKeyed, 1, 10, 1)).toThrow('at least 2 parts');
    expect(() => evenKeyCuts(tortureNames, 'a', 'b', 2)).toThrow('text keys have no arithmetic');
  });
});

describe('unionSpan', () => {
  it('takes the smaller minimum and the larger maximum by value, skipping an empty side', () => {
    expect(unionSpan(intKeyed, [{ count: 2, min: 9, max: 10 }, { count: 0 }, { count: 3, min: 2, max: 9 }])).toEqual({ min: 2, max: 10 });
  });
  it('is empty when no side has a key', () => {
    expect(unionSpan(intKeyed, [{ count: 0 }, { count: 0 }])).toEqual({});
  });
});

describe('compareKeys', () => {
  it('orders int keys by value, not as text', () => {
    expect(compareKeys(intKeyed, 9, 10)).toBeLessThan(0);
    expect(compareKeys(intKeyed, '42', 42)).toBe(0);
  });
  it('orders uuid keys by their bytes whatever the letter case', () => {
    expect(compareKeys(driftItems, 'ABCDEF00-0000-4000-8000-000000000000', 'abcdef00-0000-4000-8000-000000000000')).toBe(0);
    expect(compareKeys(driftItems, '0fffffff-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-000000000000')).toBeLessThan(0);
  });
  it('orders text keys by UTF-8 bytes (PostgreSQL "C"), not by a locale or by UTF-16 units', () => {
    const sorted = ['é', 'a', 'B', '\u{1F600}', '\uFF21'].sort((a, b) => compareKeys(tortureNames, a, b));
    expect(sorted).toEqual(['B', 'a', 'é', '\uFF21', '\u{1F600}']);
  });
  it('gives uuid keys as lower-case text, the form the ledger holds', () => {
    expect(keyText(driftItems, 'ABCDEF00-0000-4000-8000-000000000000')).toBe('abcdef00-0000-4000-8000-000000000000');
    expect(keyText(intKeyed, 7)).toBe('7');
  });
});
