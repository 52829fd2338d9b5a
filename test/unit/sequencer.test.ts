import { describe, expect, test } from 'vitest';
import { spreadTimingFiles } from '../helpers/sequencer.js';
import { timingKind } from '../helpers/timing-files.js';

const file = (name: string, project: string, seconds: number) => ({ name, project: { name: project }, seconds });
const weight = (f: { seconds: number }) => f.seconds;
const kind = (f: { project: { name: string } }) => f.project.name;

describe('spreadTimingFiles', () => {
  test('timing files are placed at even steps of the others’ work, the others keep their order', () => {
    const others = Array.from({ length: 10 }, (_, i) => file(`i${i}`, 'integration', 10));
    const serial = [file('s0', 'serial', 13), file('s1', 'serial', 9)];
    const alone = [file('a0', 'alone', 9)];
    const out = spreadTimingFiles([...serial, ...others.slice(0, 5), ...alone, ...others.slice(5)], weight, kind);
    expect(out.filter((f) => f.project.name === 'integration')).toEqual(others);
    // 100 s of other work, spread over its first 80 s: serial at 20 s and 60 s, alone at 40 s.
    expect(out.map((f) => f.name)).toEqual([
      'i0',
      'i1',
      's0',
      'i2',
      'i3',
      'a0',
      'i4',
      'i5',
      's1',
      'i6',
      'i7',
      'i8',
      'i9',
    ]);
  });

  test('a group of timing files only keeps its order', () => {
    const queue = [file('s0', 'serial', 13), file('s1', 'serial', 9), file('s2', 'serial', 5)];
    expect(spreadTimingFiles(queue, weight, kind)).toEqual(queue);
  });
});

describe('timingKind', () => {
  test('listed files and globs by path from the repository root; any other file has none', () => {
    expect(timingKind('test/soak/silent-truth.test.ts')).toBe('serial');
    expect(timingKind('test/truth/rtt.test.ts')).toBe('alone');
    expect(timingKind('test/truth/deeper/new.test.ts')).toBe('alone');
    expect(timingKind('test/truth/raw-pings.ts')).toBeUndefined();
    expect(timingKind('test/soak/silent-truth.test.tsx')).toBeUndefined();
    expect(timingKind('test/soak/silent-truthXtest.ts')).toBeUndefined();
    expect(timingKind('test/cli/cli.test.ts')).toBeUndefined();
  });
});
