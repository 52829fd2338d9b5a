import { expect, test } from 'vitest';
import { didYouMean, editDistance, suggest } from '../../src/config/suggest.js';

test.each([
  ['count', 'count', 0],
  ['cuont', 'count', 1],
  ['countt', 'count', 1],
  ['embeded', 'embedded', 1],
  ['kitten', 'sitting', 3],
])('editDistance(%s, %s) = %d', (a, b, d) => expect(editDistance(a, b)).toBe(d));

const OPTIONS = ['count', 'interval', 'timeout', 'connect-timeout', 'client-id', 'embedded', 'max-loss'];

test.each([
  ['countt', ['count']],
  ['intreval', ['interval']],
  ['embeded', ['embedded']],
  ['connect-timout', ['connect-timeout']],
  ['max', ['max-loss']],
  ['xyz', []],
  ['a'.repeat(100), []],
])('suggest(%s) → %j', (input, want) => expect(suggest(input, OPTIONS)).toEqual(want));

test('did you mean, with the flag prefix', () => {
  expect(didYouMean('4h', ['4g', '5g', 'lan'])).toBe('did you mean 4g?');
  expect(didYouMean('sattelite-geo', ['satellite-geo', 'satellite-leo'])).toBe(
    'did you mean satellite-geo or satellite-leo?',
  );
  expect(didYouMean('cnt', OPTIONS, '--')).toBe('did you mean --count?');
  expect(didYouMean('zzz', OPTIONS)).toBeUndefined();
});
