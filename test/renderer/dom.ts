import { mount, unmount } from 'svelte';
import { afterEach } from 'vitest';

// jsdom has no ResizeObserver (the ledger chart measures its width with bind:clientWidth).
globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
} as unknown as typeof ResizeObserver;

/** Mounts one component per test and unmounts it (and clears the page) after each. */
export function mounted(): { mount: typeof mount } {
  let component: ReturnType<typeof mount> | undefined;
  afterEach(() => {
    if (component) unmount(component);
    component = undefined;
    document.body.innerHTML = '';
  });
  return {
    mount: ((...args: Parameters<typeof mount>) => (component = mount(...args))) as typeof mount,
  };
}
