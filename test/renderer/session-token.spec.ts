import { describe, expect, it } from 'vitest';
import { takeSessionToken } from '../../renderer/src/lib/session-token.ts';

function place(href: string) {
  const stored = new Map<string, string>();
  const state = { href, replaced: [] as string[] };
  return {
    state,
    stored,
    place: {
      location: { get href() { return state.href; } },
      history: { replaceState: (_d: unknown, _u: string, url: string) => { state.replaced.push(url); state.href = new URL(url, state.href).href; } },
      storage: { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v) },
    },
  };
}

describe('the browser keeps the studio token out of the address bar and out of cookies', () => {
  it('reads ?token= once, removes it from the URL (keeping the rest), and finds it again after a reload', () => {
    const p = place('http://127.0.0.1:8765/?token=abc123&tab=ledger#x');
    expect(takeSessionToken(p.place)).toBe('abc123');
    expect(p.state.replaced).toEqual(['/?tab=ledger#x']);
    expect(p.state.href).not.toContain('abc123');
    expect(globalThis.document?.cookie ?? '').not.toContain('abc123');
    // a reload of the cleaned URL: the tab's own storage still has it
    expect(takeSessionToken(p.place)).toBe('abc123');
  });

  it('has no token for a bare URL in a new tab', () => {
    expect(takeSessionToken(place('http://127.0.0.1:8765/').place)).toBeUndefined();
  });
});
