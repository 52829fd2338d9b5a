import { describe, expect, test } from 'vitest';
import { CATALOG, entryById, lookup, lookupName, lookupNumber } from '../../src/kb/catalog.js';
import { explainText } from '../../src/analyze/explain.js';

const rows = CATALOG.map((e) => [e.id, e] as const);

describe('catalogue shape', () => {
  test('has at least 150 entries with unique ids', () => {
    expect(CATALOG.length).toBeGreaterThanOrEqual(150);
    expect(new Set(CATALOG.map((e) => e.id)).size).toBe(CATALOG.length);
  });
  test.each(rows)('%s cites a source, has causes, a mqtt-doctor confirm and a fix', (_id, e) => {
    expect(e.source.length).toBeGreaterThan(5);
    expect(e.causes.length).toBeGreaterThan(0);
    expect(e.confirm).toMatch(/^mqtt-doctor (probe|soak|keepalive-tune|explain-error) /);
    expect(e.fix.length).toBeGreaterThan(5);
    expect((e.names?.length ?? 0) + (e.patterns?.length ?? 0) + (e.numbers?.length ?? 0)).toBeGreaterThan(0);
  });
});

const named = CATALOG.flatMap((e) => (e.names ?? []).map((n) => [n, e.id] as const));
/** Entries that answer to the same name: a reason's words name a 3.1.1 return code and an MQTT 5 reason code. */
const sharing = (name: string) => lookupName(name).map((e) => e.id);
describe('every name explains to its own entry', () => {
  test.each(named)('%s → %s', (name, id) => {
    expect(sharing(name)).toContain(id);
    const first = explainText(name).candidates[0]?.entry.id;
    if (sharing(name).length === 1) expect(first).toBe(id);
    else expect(sharing(name)).toContain(first);
  });
  // A shared name is read in the version the text names: a 3.1.1 client's enum ("Mqtt3ConnAckReturnCode",
  // "MqttConnectReturnCode") or an MQTT 5 one ("Mqtt5ConnAckReasonCode").
  const versioned = named.filter(
    ([name, id]) => sharing(name).length > 1 && (id.startsWith('connack311.') || id.startsWith('mqtt5.')),
  );
  test.each(versioned)("%s in its own version's words → %s", (name, id) => {
    const words = id.startsWith('connack311.') ? 'Mqtt3ConnAckReturnCode' : 'Mqtt5ConnAckReasonCode';
    expect(explainText(`${words}.${name}`).candidates[0]?.entry.id).toBe(id);
  });
});

const numbered = CATALOG.flatMap((e) => (e.numbers ?? []).map(([space, n]) => [space, n, e.id] as const));
describe('every number finds its entry in its numbering', () => {
  test.each(numbered)('%s %i → %s', (space, n, id) => {
    expect(lookupNumber(n).some((h) => h.entry.id === id && h.space === space)).toBe(true);
  });
});

describe('lookup', () => {
  test('unknown is explicit', () =>
    expect(lookup('definitely not an error')).toEqual({ known: false, query: 'definitely not an error' }));
  test('known by name', () => expect(lookup('ECONNRESET')).toMatchObject({ known: true }));
  test('entryById', () => expect(entryById('mqtt5.0x8E')?.title).toMatch(/Session taken over/));
});
