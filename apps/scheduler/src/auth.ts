// Who may call the scheduler's HTTP server. Every route but /healthz needs credentials: the API a
// bearer token, the dashboard the same token or HTTP Basic auth (which makes a browser prompt).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface AuthSettings {
  /** Bearer token of the API; also accepted by the dashboard (as a bearer token or a Basic password). */
  apiToken?: string | undefined;
  dashboardUser?: string | undefined;
  dashboardPassword?: string | undefined;
}

export const dashboardBasePath = '/admin/queues';
/** Routes anyone may call. */
const openRoutes = new Set(['/healthz']);
const realm = 'syncfleet';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Constant time whatever the inputs (equal-length digests), so a guess learns nothing from timing. */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export type Credentials = { scheme: 'bearer'; token: string } | { scheme: 'basic'; user: string; password: string } | { scheme: 'none' };

/** Reads the Authorization header; anything malformed counts as no credentials. */
export function parseAuthorization(header: string | undefined): Credentials {
  if (!header) return { scheme: 'none' };
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return { scheme: 'none' };
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!;
  if (scheme === 'bearer') return { scheme: 'bearer', token: value };
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { scheme: 'none' };
    return { scheme: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return { scheme: 'none' };
}

export type Audience = 'open' | 'api' | 'dashboard';

/** Which rules a request falls under, from its route (or its path when no route matched). */
export function audienceOf(request: FastifyRequest): Audience {
  const route = request.routeOptions.url;
  if (route !== undefined && openRoutes.has(route)) return 'open';
  const path = route ?? request.url.split('?')[0] ?? '';
  if (path === dashboardBasePath || path.startsWith(`${dashboardBasePath}/`)) return 'dashboard';
  return 'api';
}

export function isAuthorized(settings: AuthSettings, audience: Exclude<Audience, 'open'>, credentials: Credentials): boolean {
  const { apiToken, dashboardUser, dashboardPassword } = settings;
  if (credentials.scheme === 'bearer') return apiToken !== undefined && secretEquals(credentials.token, apiToken);
  if (credentials.scheme === 'basic' && audience === 'dashboard') {
    // Both comparisons always run: timing does not tell which one matched.
    const asToken = apiToken !== undefined && secretEquals(credentials.password, apiToken);
    const asUser =
      dashboardUser !== undefined &&
      dashboardPassword !== undefined &&
      secretEquals(credentials.user, dashboardUser) &&
      secretEquals(credentials.password, dashboardPassword);
    return asToken || asUser;
  }
  return false;
}

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A browser re-sends Basic credentials on its own, also for a request another site makes it send:
 * a dashboard request that changes something must come from the dashboard's own origin.
 */
function isCrossSite(request: FastifyRequest): boolean {
  if (!unsafeMethods.has(request.method)) return false;
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

/**
 * An onRequest hook (it runs before the body is read, so a refused request does nothing). `onRefused`
 * sees the refusal without the credentials.
 */
export function createAuthHook(settings: AuthSettings, onRefused: (request: FastifyRequest, reason: string) => void) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const audience = audienceOf(request);
    if (audience === 'open') return undefined;
    const credentials = parseAuthorization(request.headers.authorization);
    if (!isAuthorized(settings, audience, credentials)) {
      onRefused(request, credentials.scheme === 'none' ? 'no credentials' : 'wrong credentials');
      const challenge = audience === 'dashboard' ? `Basic realm="${realm}"` : `Bearer realm="${realm}"`;
      return reply.code(401).header('www-authenticate', challenge).send({ error: 'unauthorized: valid credentials required' });
    }
    if (audience === 'dashboard' && credentials.scheme === 'basic' && isCrossSite(request)) {
      onRefused(request, 'cross-site request to the dashboard');
      return reply.code(403).send({ error: 'forbidden: cross-site request' });
    }
    return undefined;
  };
}
