// The (method, path template) pairs of the routes table in ../shared/reference/svix-api.md, one per
// method, plus hookd's native ingest route. routeOf() maps a concrete request to its template.
const APP = '/api/v1/app/{app}';
const EP = `${APP}/endpoint/{ep}`;

export const REFERENCE_ROUTES = [
  ['GET', '/api/v1/app'],
  ['POST', '/api/v1/app'],
  ['GET', APP],
  ['PUT', APP],
  ['PATCH', APP],
  ['DELETE', APP],
  ['GET', `${APP}/endpoint`],
  ['POST', `${APP}/endpoint`],
  ['GET', EP],
  ['PUT', EP],
  ['PATCH', EP],
  ['DELETE', EP],
  ['GET', `${EP}/secret`],
  ['POST', `${EP}/secret/rotate`],
  ['GET', `${EP}/headers`],
  ['PUT', `${EP}/headers`],
  ['PATCH', `${EP}/headers`],
  ['GET', `${EP}/stats`],
  ['POST', `${EP}/recover`],
  ['POST', `${APP}/msg`],
  ['GET', `${APP}/msg`],
  ['GET', `${APP}/msg/{msg}`],
  ['GET', `${APP}/attempt/msg/{msg}`],
  ['GET', `${APP}/attempt/endpoint/{ep}`],
  ['GET', `${APP}/msg/{msg}/attempt/{atmpt}`],
  ['POST', `${APP}/msg/{msg}/endpoint/{ep}/resend`],
  ['GET', '/api/v1/event-type'],
  ['POST', '/api/v1/event-type'],
  ['GET', '/api/v1/event-type/{name}'],
  ['PUT', '/api/v1/event-type/{name}'],
  ['PATCH', '/api/v1/event-type/{name}'],
  ['DELETE', '/api/v1/event-type/{name}'],
  ['GET', '/api/v1/health'],
  ['POST', '/api/v1/auth/app-portal-access/{app}'],
];

// Not in the Svix table, but part of hookd's API and exercised by the catalog suite.
export const NATIVE_ROUTES = [['POST', '/api/v1/events']];

const split = (p) => p.split('/').filter(Boolean);

// Matches literal segments exactly and {param} segments against any one segment; null when none fits.
export function routeOf(method, pathname) {
  const parts = split(pathname);
  for (const [m, template] of [...REFERENCE_ROUTES, ...NATIVE_ROUTES]) {
    if (m !== method) continue;
    const segs = split(template);
    if (segs.length !== parts.length) continue;
    if (segs.every((s, i) => s.startsWith('{') || s === decodeURIComponent(parts[i]))) return `${m} ${template}`;
  }
  return null;
}
