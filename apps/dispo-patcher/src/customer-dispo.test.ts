// The customerDispo rule, exhaustively: every availability value the feed carries (and odd ones)
// against every shape of `nature` (numbers, strings, missing, null, junk), then the change test
// against every state of the current customerDispo.
import { describe, expect, test } from 'vitest';
import { customerDispoChange, customerDispoOf, natureCode, type OfferDispoFields } from './customer-dispo.ts';

const MISSING = Symbol('missing');
type Cell = unknown;

/** nature values that keep the availability label (Elite, Proxauto VO), as the feed sends them. */
const keepLabelNatures: Cell[] = [1, 5, '1', '5', ' 5 ', '01', 5.0];
/** Every other nature: other codes as numbers and strings, missing, null and junk. */
const otherNatures: Cell[] = [0, 2, 3, 4, 6, 7, 10, 15, 51, -1, -5, 1.5, 4.999, Number.NaN, '0', '2', '3', '4', '6', '15', '-5', '1.5', '1a', 'Elite', '', ' ', true, false, null, MISSING, [1], { code: 5 }];

/** Availability labels: the ones the feed sends (other than 'en stock') are copied as they are. */
const otherLabels: Cell[] = ['en arrivage', 'sur commande', 'vendu', 'réservé', 'en préparation', 'En stock', 'en stock ', 'EN STOCK', 'disponible', ''];
const noLabel: Cell[] = [null, MISSING];

function offer(dispo: Cell, nature: Cell, current: Cell = MISSING): OfferDispoFields {
  const out: Record<string, unknown> = {};
  if (dispo !== MISSING) out.disponibiliteForFO = dispo;
  if (nature !== MISSING) out.nature = nature;
  if (current !== MISSING) out.customerDispo = current;
  return out;
}

const show = (value: Cell): string => (value === MISSING ? '(missing)' : typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value));

interface Row {
  dispo: Cell;
  nature: Cell;
  expected: unknown;
}

const table: Row[] = [
  ...keepLabelNatures.map((nature) => ({ dispo: 'en stock', nature, expected: 'en stock' })),
  ...otherNatures.map((nature) => ({ dispo: 'en stock', nature, expected: 'disponible' })),
  ...otherLabels.flatMap((dispo) => [...keepLabelNatures, ...otherNatures].map((nature) => ({ dispo, nature, expected: dispo }))),
  ...noLabel.flatMap((dispo) => [...keepLabelNatures, ...otherNatures].map((nature) => ({ dispo, nature, expected: null }))),
];

describe('customerDispoOf', () => {
  test('the table covers every label with every nature', () => {
    expect(table).toHaveLength((1 + otherLabels.length + noLabel.length) * (keepLabelNatures.length + otherNatures.length));
  });

  // one test per label, each checking the label against every nature; a failure lists every wrong cell
  const labels = [...new Set(table.map((row) => row.dispo))];
  test.each(labels.map((dispo) => [show(dispo), dispo] as const))('disponibiliteForFO %s, with every nature', (_label, dispo) => {
    const wrong = table
      .filter((row) => row.dispo === dispo)
      .map((row) => ({ nature: show(row.nature), expected: row.expected, got: customerDispoOf(offer(row.dispo, row.nature)) }))
      .filter((cell) => JSON.stringify(cell.got) !== JSON.stringify(cell.expected));
    expect(wrong).toEqual([]);
  });

  test('a label that is not a string is copied as it is', () => {
    expect(customerDispoOf(offer(3, 2))).toBe(3);
    expect(customerDispoOf(offer(['en stock'], 2))).toEqual(['en stock']);
  });

  test('the current customerDispo never changes the answer', () => {
    for (const current of ['disponible', 'en stock', 'vendu', null, MISSING]) {
      expect(customerDispoOf(offer('en stock', 2, current))).toBe('disponible');
      expect(customerDispoOf(offer('en stock', 5, current))).toBe('en stock');
      expect(customerDispoOf(offer('vendu', 2, current))).toBe('vendu');
    }
  });
});

describe('natureCode', () => {
  test.each([
    [1, 1], [5, 5], ['5', 5], [' 1 ', 1], ['05', 5], [2, 2], ['6', 6],
    [1.5, undefined], ['1.5', undefined], ['', undefined], ['x', undefined], [true, undefined], [null, undefined], [undefined, undefined], [Number.NaN, undefined],
  ] as const)('%j -> %j', (input, expected) => {
    expect(natureCode(input)).toBe(expected);
  });
});

describe('customerDispoChange', () => {
  // every label and nature, against every state of the current value: a change only when it differs
  const currents: Cell[] = [MISSING, null, 'disponible', 'en stock', 'vendu', 'en arrivage', ''];
  const rows = table.flatMap((row) => currents.map((current) => ({ ...row, current })));

  test.each(currents.map((current) => [show(current), current] as const))('customerDispo %s, with every label and nature', (_c, current) => {
    const wrong = rows
      .filter((row) => row.current === current)
      .map((row) => {
        const now = row.current === MISSING ? null : row.current;
        const expected = now === row.expected ? undefined : { customerDispo: row.expected };
        return { dispo: show(row.dispo), nature: show(row.nature), expected, got: customerDispoChange(offer(row.dispo, row.nature, row.current)) };
      })
      .filter((cell) => JSON.stringify(cell.got) !== JSON.stringify(cell.expected));
    expect(wrong).toEqual([]);
    expect(rows.filter((row) => row.current === current)).toHaveLength(table.length);
  });

  test('absent and null are the same "no value": no write either way', () => {
    expect(customerDispoChange(offer(MISSING, 2))).toBeUndefined();
    expect(customerDispoChange(offer(null, 2, null))).toBeUndefined();
    expect(customerDispoChange(offer(MISSING, 2, 'disponible'))).toEqual({ customerDispo: null });
  });

  test('a copied label that is a list compares by value', () => {
    expect(customerDispoChange(offer(['a'], 2, ['a']))).toBeUndefined();
    expect(customerDispoChange(offer(['a'], 2, ['b']))).toEqual({ customerDispo: ['a'] });
  });
});
