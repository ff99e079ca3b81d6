// Realistic car offers for the offers index (seed 000: elite-auto.fr), generated deterministically
// from a seed so that a demo, a test and a benchmark see the same data.
//
// The fields dispo-patcher reads vary the way real data does: `disponibiliteForFO` is one of the
// availability labels (sometimes missing or null), `nature` is 1..6 (1 'Elite', 5 'Proxauto VO'),
// mostly a number but sometimes a string ("5") and rarely missing; some offers already carry a
// `customerDispo` (right or stale), so a patch changes only part of them.

export interface Offer {
  objectID: string;
  reference: string;
  brand: string;
  model: string;
  version: string;
  year: number;
  mileage: number;
  fuel: string;
  gearbox: string;
  color: string;
  price: number;
  monthlyPrice: number;
  dealer: string;
  disponibiliteForFO?: string | null;
  nature?: number | string;
  customerDispo?: string;
  updatedAt: string;
}

export const AVAILABILITIES = ['en stock', 'en arrivage', 'sur commande', 'vendu', 'réservé', 'en préparation'] as const;

const MODELS: ReadonlyArray<readonly [brand: string, models: readonly string[]]> = [
  ['Peugeot', ['208', '2008', '308', '3008', '5008', '408']],
  ['Renault', ['Clio', 'Captur', 'Mégane', 'Austral', 'Arkana', 'Scénic']],
  ['Citroën', ['C3', 'C4', 'C5 Aircross', 'Berlingo']],
  ['Dacia', ['Sandero', 'Duster', 'Jogger', 'Spring']],
  ['Volkswagen', ['Polo', 'Golf', 'T-Roc', 'Tiguan', 'ID.3']],
  ['Toyota', ['Yaris', 'Yaris Cross', 'Corolla', 'C-HR', 'RAV4']],
  ['Kia', ['Picanto', 'Ceed', 'Niro', 'Sportage']],
  ['Hyundai', ['i10', 'i20', 'Kona', 'Tucson']],
  ['Ford', ['Fiesta', 'Puma', 'Kuga', 'Focus']],
  ['Skoda', ['Fabia', 'Octavia', 'Kamiq', 'Karoq']],
  ['Fiat', ['500', 'Panda', 'Tipo']],
  ['Opel', ['Corsa', 'Mokka', 'Astra']],
];
const VERSIONS = ['Active', 'Allure', 'GT', 'Business', 'Techno', 'Evolution', 'Life', 'Style', 'Design', 'Premium'];
const FUELS = ['Essence', 'Diesel', 'Hybride', 'Hybride rechargeable', 'Électrique'];
const GEARBOXES = ['Manuelle', 'Automatique'];
const COLORS = ['Blanc', 'Noir', 'Gris', 'Bleu', 'Rouge', 'Argent'];
const DEALERS = ['Elite Auto Paris', 'Elite Auto Lyon', 'Elite Auto Marseille', 'Elite Auto Lille', 'Proxauto Nantes', 'Proxauto Bordeaux'];

/** mulberry32: a small, fast, deterministic PRNG. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** The rule dispo-patcher applies, used here only to make some offers already right. */
function expectedDispo(dispo: string | null | undefined, nature: number | string | undefined): string | null | undefined {
  const n = typeof nature === 'string' ? Number(nature) : nature;
  if (dispo === 'en stock' && n !== 1 && n !== 5) return 'disponible';
  return dispo;
}

export function generateOffer(i: number, random: () => number): Offer {
  const [brand, models] = pick(random, MODELS);
  const year = 2016 + Math.floor(random() * 10);
  const price = Math.round((9000 + random() * 60000) / 10) * 10;
  const offer: Offer = {
    objectID: `offer-${String(i + 1).padStart(7, '0')}`,
    reference: `EA${String(100000 + i)}`,
    brand,
    model: pick(random, models),
    version: pick(random, VERSIONS),
    year,
    mileage: year >= 2025 ? Math.floor(random() * 50) : Math.floor(random() * 150000),
    fuel: pick(random, FUELS),
    gearbox: pick(random, GEARBOXES),
    color: pick(random, COLORS),
    price,
    monthlyPrice: Math.round(price / 60),
    dealer: pick(random, DEALERS),
    updatedAt: new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 300 * 86400) * 1000).toISOString(),
  };
  const dispoRoll = random();
  // about half in stock; a few missing or null, as in a real feed
  if (dispoRoll < 0.02) {
    /* no disponibiliteForFO */
  } else if (dispoRoll < 0.03) offer.disponibiliteForFO = null;
  else if (dispoRoll < 0.5) offer.disponibiliteForFO = 'en stock';
  else offer.disponibiliteForFO = pick(random, AVAILABILITIES);
  const natureRoll = random();
  const nature = 1 + Math.floor(random() * 6);
  if (natureRoll < 0.01) {
    /* no nature */
  } else if (natureRoll < 0.1) offer.nature = String(nature);
  else offer.nature = nature;
  const customerRoll = random();
  if (customerRoll < 0.3) {
    const right = expectedDispo(offer.disponibiliteForFO, offer.nature);
    if (typeof right === 'string') offer.customerDispo = right;
  } else if (customerRoll < 0.4) offer.customerDispo = pick(random, AVAILABILITIES);
  return offer;
}

/** `n` offers, the same for the same seed. Lazy: a million offers never sit in one array. */
export function* generateOffers(n: number, seed = 1): Generator<Offer> {
  const random = createRandom(seed);
  for (let i = 0; i < n; i += 1) yield generateOffer(i, random);
}
