/**
 * The local studio host: the same typed contract over HTTP on 127.0.0.1, for the browser UI, headless use and
 * e2e tests. Every API call needs the random token as `Authorization: Bearer` — never a cookie: cookies are not
 * isolated by port, so any other server on 127.0.0.1 the browser talks to would receive one. The printed URL's
 * `?token=` only bootstraps the page (the app keeps it in memory and drops it from the address bar). Generated
 * images are fetched by `<img>` and so carry a per-file signature (HMAC of the path under the token) in the URLs
 * the API returns. A request whose Origin is not the studio's own is refused; the Host header must be the loopback
 * address (DNS-rebinding guard); bodies are JSON, size-limited and validated by the channel's schema; static and
 * image paths are resolved strictly inside the studio's own directories. The app shell (index.html and its
 * assets) is the public build of the renderer and is served without the token.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { isStudioChannel, parseRequest, StudioError, type StudioErrorCode, type StudioEvent, type StudioHandlers } from '../contract/contract.ts';

export interface HttpHostOptions {
  readonly handlers: StudioHandlers;
  readonly subscribe: (listener: (event: StudioEvent) => void) => () => void;
  /** Resolves `/files/<a>/<b>` to a file inside the studio's output directory, or undefined. */
  readonly resolveFile?: (segments: readonly string[]) => string | undefined;
  /** The built renderer (index.html and assets); omitted → the host serves the API only. */
  readonly staticRoot?: string;
  readonly port?: number;
  readonly maxBodyBytes?: number;
  readonly token?: string;
}

export interface HttpHost {
  readonly url: string;
  /** The URL to open: the app reads its token once and removes it from the address bar. */
  readonly loginUrl: string;
  readonly token: string;
  readonly port: number;
  close(): Promise<void>;
}

const STATUS: Record<StudioErrorCode, number> = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  BUDGET_EXCEEDED: 409,
  LEDGER_LOCKED: 423,
  CANCELLED: 409,
  MODEL_ERROR: 500,
  INTERNAL: 500,
};

/** Content types of the files the studio serves (the renderer bundle and generated PNGs); shared with electron/protocol.ts. */
export const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, error: StudioError): void {
  send(res, STATUS[error.code], { error: error.toBody() });
}

/** Unexpected failures are reported without their message: it could mention internal state. */
function responseError(error: unknown): StudioError {
  if (error instanceof StudioError) return error;
  return new StudioError('INTERNAL', 'the studio hit an internal error; the request did nothing visible. Try again, and check the studio log if it repeats.');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The signature that lets `<img>` fetch one generated file: HMAC-SHA256 of its path under the token. */
export function fileSignature(token: string, pathname: string): string {
  return createHmac('sha256', token).update(`dprdm-file:${pathname}`).digest('base64url').slice(0, 32);
}

/** Every `url` field that names a generated file gets its signature (responses and events). */
function signFileUrls(value: unknown, token: string): unknown {
  if (Array.isArray(value)) return value.map((v) => signFileUrls(v, token));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = key === 'url' && typeof v === 'string' && v.startsWith('/files/') && !v.includes('?') ? `${v}?sig=${fileSignature(token, v)}` : signFileUrls(v, token);
  }
  return out;
}

/**
 * Reads a JSON body of at most `limit` bytes. An oversized body is refused with a 400, and the rest of it is read
 * and discarded rather than left on the socket: destroying the request (what leaving a `for await` over it does)
 * resets the connection, so the client would see ECONNRESET instead of the message.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () => new StudioError('INVALID_REQUEST', `the request body is larger than the ${limit}-byte limit`);
  const declared = Number(req.headers['content-length'] ?? 0);
  // Not consumed at all: Node discards the body itself once the response is sent.
  if (declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      refused = true;
      chunks.length = 0;
      reject(tooLarge());
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Joins URL segments under `root`, refusing anything that would leave it. */
export function containedPath(root: string, segments: readonly string[]): string | undefined {
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || segment.includes('\0') || segment.includes('/') || segment.includes('\\')) return undefined;
  }
  const resolved = path.resolve(root, ...segments);
  const base = path.resolve(root);
  return resolved.startsWith(base + path.sep) ? resolved : undefined;
}

export async function startHttpHost(options: HttpHostOptions): Promise<HttpHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const limit = options.maxBodyBytes ?? 64 * 1024;
  let port = 0;

  const authorised = (req: IncomingMessage): boolean => {
    const bearer = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
    return bearer !== undefined && safeEqual(bearer, token);
  };
  const ownOrigin = (origin: string): boolean => origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;

  const hostAllowed = (req: IncomingMessage): boolean => {
    const host = req.headers.host ?? '';
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  };

  async function serveFile(res: ServerResponse, file: string | undefined, cache: boolean): Promise<void> {
    if (!file) return sendError(res, new StudioError('NOT_FOUND', 'no such file'));
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return sendError(res, new StudioError('NOT_FOUND', 'no such file'));
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(info.size),
      'Cache-Control': cache ? 'private, max-age=3600' : 'no-store',
    });
    createReadStream(file).pipe(res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req)) return sendError(res, new StudioError('UNAUTHORIZED', 'requests must be addressed to the loopback host'));
    const origin = req.headers.origin;
    if (origin !== undefined && !ownOrigin(origin)) return sendError(res, new StudioError('UNAUTHORIZED', 'requests from another site are refused'));
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const unauthorised = () => sendError(res, new StudioError('UNAUTHORIZED', 'missing or wrong token: open the URL that the studio printed at start'));

    if (url.pathname.startsWith('/api/')) {
      if (!authorised(req)) return unauthorised();
      const channel = url.pathname.slice('/api/'.length);
      if (channel === 'events' && req.method === 'GET') return streamEvents(req, res);
      if (req.method !== 'POST') return sendError(res, new StudioError('INVALID_REQUEST', 'API calls are POST requests with a JSON body'));
      if (!isStudioChannel(channel)) return sendError(res, new StudioError('NOT_FOUND', `no API channel "${channel.slice(0, 64)}"`));
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
        return sendError(res, new StudioError('INVALID_REQUEST', 'send the request body as JSON (Content-Type: application/json)'));
      }
      const text = await readBody(req, limit);
      let payload: unknown;
      try {
        payload = text.length ? JSON.parse(text) : {};
      } catch {
        return sendError(res, new StudioError('INVALID_REQUEST', 'the request body is not valid JSON'));
      }
      const request = parseRequest(channel, payload);
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      const handler = options.handlers[channel] as (r: unknown, c: { signal: AbortSignal }) => Promise<unknown>;
      const response = await handler(request, { signal: abort.signal });
      return send(res, 200, signFileUrls(response, token));
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, new StudioError('INVALID_REQUEST', 'only GET is served here'));
    const segments = url.pathname.split('/').slice(1).map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return '..';
      }
    });
    if (segments[0] === 'files') {
      const sig = url.searchParams.get('sig');
      if (!authorised(req) && !(sig !== null && safeEqual(sig, fileSignature(token, url.pathname)))) return unauthorised();
      return serveFile(res, options.resolveFile?.(segments.slice(1)), true);
    }
    if (!options.staticRoot) return sendError(res, new StudioError('NOT_FOUND', 'this host serves the API only'));
    const wanted = url.pathname === '/' ? ['index.html'] : segments;
    const file = containedPath(options.staticRoot, wanted);
    const exists = file ? await stat(file).then((s) => s.isFile(), () => false) : false;
    // Unknown paths fall back to the single-page app's index.
    return serveFile(res, exists ? file : containedPath(options.staticRoot, ['index.html']), false);
  }

  function streamEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(': connected\n\n');
    const unsubscribe = options.subscribe((event) => res.write(`data: ${JSON.stringify(signFileUrls(event, token))}\n\n`));
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, responseError(error));
      else res.end();
    });
  });
  server.requestTimeout = 0; // generations can take minutes; the handler observes client aborts
  server.headersTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}/`;
  return {
    url: base,
    loginUrl: `${base}?token=${token}`,
    token,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
