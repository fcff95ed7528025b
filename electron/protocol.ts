/**
 * The `studio://app/` protocol: serves the built renderer (with the CSP header) and generated images. Image
 * paths go through the studio service's `resolveFile`, which only answers inside the studio's own output
 * directory; renderer paths are confined to renderer/dist. Anything else is a 404.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Protocol } from 'electron';
import { containedPath, MIME } from '../core/server/http-host.ts';
import { APP_HOST, APP_SCHEME, CONTENT_SECURITY_POLICY } from './security.ts';

/** Must run before `app.whenReady()`: a standard, secure scheme gets an origin, fetch and the CSP. */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true } }]);
}

export interface AppProtocolOptions {
  /** renderer/dist */
  readonly rendererRoot: string;
  /** The studio service's resolver for `/files/<a>/<b>` (its output directory only). */
  readonly resolveFile: (segments: readonly string[]) => string | undefined;
  readonly read?: (file: string) => Promise<Uint8Array>;
}

/** Which file a `studio://app/...` URL names, or undefined. Pure, so it is tested without Electron. */
export function resolveAppUrl(url: string, options: Pick<AppProtocolOptions, 'rendererRoot' | 'resolveFile'>): { file: string; kind: 'app' | 'image' } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return undefined;
  const raw = parsed.pathname.split('/').slice(1);
  const segments: string[] = [];
  for (const segment of raw) {
    try {
      segments.push(decodeURIComponent(segment));
    } catch {
      return undefined;
    }
  }
  if (segments[0] === 'files') {
    const file = options.resolveFile(segments.slice(1));
    return file ? { file, kind: 'image' } : undefined;
  }
  const wanted = parsed.pathname === '/' ? ['index.html'] : segments;
  const file = containedPath(options.rendererRoot, wanted);
  return file ? { file, kind: 'app' } : undefined;
}

export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  const read = options.read ?? ((file: string) => readFile(file));
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('only GET', { status: 405 });
    const target = resolveAppUrl(request.url, options);
    if (!target) return new Response('not found', { status: 404 });
    let body: Uint8Array;
    try {
      body = await read(target.file);
    } catch {
      if (target.kind === 'image') return new Response('not found', { status: 404 });
      // Unknown renderer paths fall back to the single-page app.
      const index = containedPath(options.rendererRoot, ['index.html']);
      if (!index) return new Response('not found', { status: 404 });
      body = await read(index).catch(() => new Uint8Array());
      if (!body.length) return new Response('the studio UI is not built: run npm run build:renderer', { status: 404 });
      return respond(body, '.html');
    }
    return respond(body, path.extname(target.file).toLowerCase());
  };
}

function respond(body: Uint8Array, extension: string): Response {
  return new Response(body as BodyInit, {
    status: 200,
    headers: {
      'Content-Type': MIME[extension] ?? 'application/octet-stream',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    },
  });
}

export function serveAppProtocol(protocol: Pick<Protocol, 'handle'>, options: AppProtocolOptions): void {
  protocol.handle(APP_SCHEME, createAppProtocolHandler(options));
}
