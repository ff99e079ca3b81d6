// The customerDispo rule (seed 000, DESIGN.md "dispo-patcher"), pure: no I/O.
//
//   customerDispo = 'disponible'          when disponibiliteForFO is 'en stock' and nature is
//                                          neither 1 (Elite) nor 5 (Proxauto VO)
//                 = disponibiliteForFO    otherwise (whatever it holds)
//
// What the feed really contains decides the details:
// - `nature` comes as a number (1) or as a string ("1", " 5 "): both count. Anything else (missing,
//   null, true, 1.5, "1a", "") is not 1 or 5.
// - 'en stock' is compared exactly, as upstream did ('En stock' is another value, copied as is).
// - a missing or null disponibiliteForFO gives no customerDispo (null): an offer that has none, or
//   has null, is already right; one that has a stale value gets null.

/** The attributes the rule reads: the patch browses only these (and objectID). */
export const DISPO_ATTRIBUTES = ['disponibiliteForFO', 'nature', 'customerDispo'] as const;

export const IN_STOCK = 'en stock';
export const AVAILABLE = 'disponible';
/** `nature` values whose offers keep their availability label: 1 'Elite', 5 'Proxauto VO'. */
export const KEEP_LABEL_NATURES: ReadonlySet<number> = new Set([1, 5]);

export interface OfferDispoFields {
  readonly [attribute: string]: unknown;
  disponibiliteForFO?: unknown;
  nature?: unknown;
  customerDispo?: unknown;
}

/** The nature as an integer when it is one (number or decimal string), else undefined. */
export function natureCode(nature: unknown): number | undefined {
  if (typeof nature === 'number') return Number.isInteger(nature) ? nature : undefined;
  if (typeof nature === 'string') {
    const trimmed = nature.trim();
    return /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : undefined;
  }
  return undefined;
}

/** The customerDispo an offer must carry; null means "none". */
export function customerDispoOf(offer: OfferDispoFields): unknown {
  const dispo = offer.disponibiliteForFO;
  if (dispo === undefined || dispo === null) return null;
  if (dispo === IN_STOCK) {
    const nature = natureCode(offer.nature);
    if (nature === undefined || !KEEP_LABEL_NATURES.has(nature)) return AVAILABLE;
  }
  return dispo;
}

function sameValue(a: unknown, b: unknown): boolean {
  const left = a === undefined ? null : a;
  const right = b === undefined ? null : b;
  if (left === right) return true;
  // a copied label that is an object or a list (never seen, but the rule copies whatever is there)
  if (typeof left === 'object' && typeof right === 'object' && left !== null && right !== null) {
    return JSON.stringify(left) === JSON.stringify(right);
  }
  return false;
}

/**
 * The value to write, or `undefined` when the offer already carries the right one (an absent
 * customerDispo and null are the same: no value).
 */
export function customerDispoChange(offer: OfferDispoFields): { customerDispo: unknown } | undefined {
  const wanted = customerDispoOf(offer);
  return sameValue(offer.customerDispo, wanted) ? undefined : { customerDispo: wanted };
}
