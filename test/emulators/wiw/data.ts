// The When I Work emulator's data: an account with users, locations (each in its own time zone),
// positions, sites and shifts, generated deterministically from a seed, with the fields and the
// RFC 1123 dates ("Mon, 08 Oct 2018 00:15:00 +0100") that WIW's API sends.

/** A WIW shift as `GET /2/shifts` returns it. */
export interface WiwShift {
  id: number;
  account_id: number;
  user_id: number;
  location_id: number;
  position_id: number;
  site_id: number;
  start_time: string;
  end_time: string;
  break_time: number;
  breaks: Array<{ id: number; length: number; paid: boolean; sort: number }>;
  color: string;
  notes: string;
  alerted: boolean;
  linked_users: number[] | null;
  shiftchain_key: string;
  published: boolean;
  published_date: string | null;
  notified_at: string | null;
  instances: number;
  created_at: string;
  updated_at: string;
  acknowledged: number;
  acknowledged_at: string | null;
  creator_id: number;
  is_open: boolean;
  actionable: boolean;
  block_id: number;
  requires_openshift_approval: boolean;
  openshift_approval_request_id: number;
  is_approved_without_time: boolean;
  is_shared: boolean;
  is_trimmed: boolean;
}

export interface WiwUser {
  id: number;
  account_id: number;
  first_name: string;
  last_name: string;
  email: string;
  role: number;
  is_active: boolean;
  locations: number[];
  positions: number[];
}

export interface WiwLocation {
  id: number;
  account_id: number;
  name: string;
  address: string;
  /** Minutes east of UTC: the offset its dates are written with. */
  utc_offset: number;
  timezone_name: string;
}

export interface WiwPosition {
  id: number;
  account_id: number;
  name: string;
  color: string;
}

export interface WiwSite {
  id: number;
  account_id: number;
  location_id: number;
  name: string;
  address: string;
}

export interface WiwDataset {
  accountId: number;
  users: WiwUser[];
  locations: WiwLocation[];
  positions: WiwPosition[];
  sites: WiwSite[];
  shifts: WiwShift[];
}

/** mulberry32: a small, fast, seeded PRNG (deterministic across platforms). */
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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const two = (n: number): string => String(n).padStart(2, '0');

/** `ms` written as WIW does: RFC 1123 with the numeric offset of the location (minutes east of UTC). */
export function rfc1123(ms: number, offsetMinutes: number): string {
  const d = new Date(ms + offsetMinutes * 60_000);
  const abs = Math.abs(offsetMinutes);
  const zone = `${offsetMinutes < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${zone}`;
}

/** The instant an RFC 1123 date (or any date `Date.parse` reads) stands for, in ms. */
export function parseDate(text: string): number {
  return Date.parse(text);
}

const LOCATIONS: Array<Omit<WiwLocation, 'id' | 'account_id'>> = [
  { name: 'London Hub', address: '1 Canal Reach, London N1C 4BE', utc_offset: 0, timezone_name: 'Europe/London' },
  { name: 'Paris Nord', address: '12 Rue de Maubeuge, 75009 Paris', utc_offset: 60, timezone_name: 'Europe/Paris' },
  { name: 'New York East', address: '400 E 34th St, New York, NY 10016', utc_offset: -300, timezone_name: 'America/New_York' },
  { name: 'Mumbai Central', address: 'Dr Dadasaheb Bhadkamkar Marg, Mumbai 400008', utc_offset: 330, timezone_name: 'Asia/Kolkata' },
  { name: 'Dubai Marina', address: 'Al Marsa St, Dubai', utc_offset: 240, timezone_name: 'Asia/Dubai' },
  { name: 'San Francisco Mission', address: '2000 Mission St, San Francisco, CA 94110', utc_offset: -480, timezone_name: 'America/Los_Angeles' },
];
const POSITIONS = ['Rider', 'Van Driver', 'Picker', 'Packer', 'Dispatcher', 'Shift Lead', 'Cyclist', 'Customer Care'];
const COLORS = ['74a611', 'cc0000', '3b5998', 'f39c12', '8e44ad', '16a085', 'd35400', '2c3e50'];
const FIRST = ['Amara', 'Ben', 'Chloé', 'Dev', 'Elif', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemi', 'Luca', 'Maya', 'Nils', 'Olu', 'Priya'];
const LAST = ['Adeyemi', 'Bauer', 'Costa', 'Dubois', 'Eriksen', 'Fernández', 'Gupta', 'Haddad', 'Ito', 'Jansen', 'Kowalski', 'Lindqvist'];
const NOTES = [
  'Bring the "blue" van {bay 3}',
  'Café deliveries first ✓',
  'Cover for Maya',
  'Training shift: shadow the shift lead',
  'Back door code changes at 18:00',
  'Zone 2 & 3\nsee the briefing',
];

export interface GenerateOptions {
  seed: number;
  /** How many shifts. */
  shifts: number;
  /** 00:00 UTC of the first day shifts start on. */
  firstDay: Date;
  /** How many days (from firstDay) the shifts spread over. */
  days: number;
  /** "Now" for created_at/updated_at (in the past of it). */
  now: Date;
  accountId?: number;
}

/** Shift ids start above 2^31 (WIW's ids outgrew 32-bit ints; the seed's Avro key could not hold them). */
export const FIRST_SHIFT_ID = 2_200_000_000;

export function generateWiwData(options: GenerateOptions): WiwDataset {
  const random = createRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const accountId = options.accountId ?? 77_967;
  const locations: WiwLocation[] = LOCATIONS.map((l, i) => ({ id: 3_999_871 + i, account_id: accountId, ...l }));
  const sites: WiwSite[] = locations.flatMap((l, i) => [
    { id: 3_530_221 + i * 2, account_id: accountId, location_id: l.id, name: `${l.name} – Dock A`, address: l.address },
    { id: 3_530_222 + i * 2, account_id: accountId, location_id: l.id, name: `${l.name} – Dock B`, address: l.address },
  ]);
  const positions: WiwPosition[] = POSITIONS.map((name, i) => ({ id: 709_909 + i, account_id: accountId, name, color: COLORS[i % COLORS.length]! }));
  const userCount = Math.max(10, Math.min(5000, Math.ceil(options.shifts / 20)));
  const users: WiwUser[] = Array.from({ length: userCount }, (_, i) => {
    const first = pick(FIRST);
    const last = pick(LAST);
    return {
      id: 29_205_212 + i,
      account_id: accountId,
      first_name: first,
      last_name: last,
      email: `${first}.${last}.${i}@example.com`.toLowerCase().normalize('NFD').replace(/[^\x20-\x7e]/g, ''),
      role: i < 3 ? 1 : 3, // 1 admin, 3 employee
      is_active: true,
      locations: [pick(locations).id],
      positions: [pick(positions).id],
    };
  });
  const managers = users.slice(0, 3).map((u) => u.id);
  const shifts: WiwShift[] = [];
  const nowMs = options.now.getTime();
  for (let i = 0; i < options.shifts; i++) {
    const location = pick(locations);
    const offset = location.utc_offset;
    const day = Math.floor(random() * options.days);
    const localMinutes = (5 + Math.floor(random() * 16)) * 60 + 15 * Math.floor(random() * 4);
    const startMs = options.firstDay.getTime() + day * 86_400_000 + (localMinutes - offset) * 60_000;
    const endMs = startMs + (8 + Math.floor(random() * 13)) * 30 * 60_000; // 4 to 10 hours
    const isOpen = random() < 0.08;
    const published = random() < 0.85;
    const createdMs = nowMs - Math.floor(random() * 30 * 86_400_000) - 3_600_000;
    const updatedMs = createdMs + Math.floor(random() * (nowMs - createdMs));
    const publishedMs = createdMs + Math.floor(random() * (updatedMs - createdMs + 1));
    const acknowledged = published && !isOpen && random() < 0.6;
    const breakTime = pick([0, 0, 0.25, 0.5, 0.5, 0.75, 1]);
    shifts.push({
      id: FIRST_SHIFT_ID + i * 3,
      account_id: accountId,
      user_id: isOpen ? 0 : pick(users).id,
      location_id: location.id,
      position_id: pick(positions).id,
      site_id: sites.find((s) => s.location_id === location.id && random() < 0.5)?.id ?? sites.find((s) => s.location_id === location.id)!.id,
      start_time: rfc1123(startMs, offset),
      end_time: rfc1123(endMs, offset),
      break_time: breakTime,
      breaks: breakTime > 0 ? [{ id: 51_000_000 + i, length: breakTime * 3600, paid: false, sort: 0 }] : [],
      color: pick(COLORS),
      notes: random() < 0.3 ? pick(NOTES) : '',
      alerted: published && random() < 0.5,
      linked_users: isOpen && random() < 0.5 ? [pick(users).id, pick(users).id].sort((a, b) => a - b) : null,
      shiftchain_key: random() < 0.3 ? Math.floor(random() * 36 ** 7).toString(36).padStart(7, '0') : '',
      published,
      published_date: published ? rfc1123(publishedMs, offset) : null,
      notified_at: published && random() < 0.7 ? rfc1123(publishedMs + 60_000, offset) : null,
      instances: 0,
      created_at: rfc1123(createdMs, offset),
      updated_at: rfc1123(updatedMs, offset),
      acknowledged: acknowledged ? 1 : 0,
      acknowledged_at: acknowledged ? rfc1123(updatedMs, offset) : null,
      creator_id: pick(managers),
      is_open: isOpen,
      actionable: false,
      block_id: 0,
      requires_openshift_approval: isOpen && random() < 0.2,
      openshift_approval_request_id: 0,
      is_approved_without_time: false,
      is_shared: false,
      is_trimmed: false,
    });
  }
  return { accountId, users, locations, positions, sites, shifts };
}
