/**
 * The studio's access token in a browser. The printed URL carries it once as `?token=`; the app reads it, removes
 * it from the address bar (and so from history and bookmarks), and keeps it in memory for the Authorization
 * header. A copy lives in this tab's sessionStorage so that a reload keeps working: unlike a cookie it is isolated
 * by origin, port included, and the browser never sends it anywhere by itself.
 */
const KEY = 'dprdm-token';

export interface TokenPlace {
  readonly location: { readonly href: string };
  readonly history: { replaceState(data: unknown, unused: string, url: string): void };
  readonly storage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

export function takeSessionToken(place: TokenPlace): string | undefined {
  const url = new URL(place.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    url.searchParams.delete('token');
    place.history.replaceState(null, '', url.pathname + url.search + url.hash);
    place.storage.setItem(KEY, fromUrl);
    return fromUrl;
  }
  return place.storage.getItem(KEY) ?? undefined;
}
