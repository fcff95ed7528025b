/**
 * Accessibility smoke checks that run inside the page: every form control and button has an accessible
 * name, every image has an alt attribute, ids are unique.
 */
import type { Page } from 'playwright-core';

export interface A11yProblem {
  readonly element: string;
  readonly problem: string;
}

export function a11yProblems(page: Page): Promise<A11yProblem[]> {
  return page.evaluate(() => {
    const problems: { element: string; problem: string }[] = [];
    const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.getAttribute('type') ? `[type=${el.getAttribute('type')}]` : ''} “${(el.textContent ?? '').trim().slice(0, 40)}”`;
    const visible = (el: Element) => {
      const style = getComputedStyle(el);
      return style.display !== 'none' && style.visibility !== 'hidden' && (el as HTMLElement).offsetParent !== null;
    };
    const labelledBy = (el: Element) =>
      (el.getAttribute('aria-labelledby') ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map((id) => document.getElementById(id)?.textContent?.trim() ?? '')
        .join(' ')
        .trim();
    const name = (el: Element): string => {
      const aria = el.getAttribute('aria-label')?.trim();
      if (aria) return aria;
      const by = labelledBy(el);
      if (by) return by;
      if (el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement) {
        const labels = [...(el.labels ?? [])].map((l) => l.textContent?.trim() ?? '').join(' ').trim();
        if (labels) return labels;
        return el.getAttribute('title')?.trim() ?? '';
      }
      return (el.textContent ?? '').trim() || (el.getAttribute('title') ?? '').trim();
    };
    for (const el of document.querySelectorAll('input, select, textarea, button, [role="slider"], [role="meter"], [role="progressbar"], a[href]')) {
      if (el instanceof HTMLInputElement && el.type === 'hidden') continue;
      if (!visible(el) && !(el instanceof HTMLInputElement && el.type === 'checkbox')) continue;
      if (!name(el)) problems.push({ element: describe(el), problem: 'no accessible name' });
    }
    for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push({ element: describe(img), problem: 'image without alt' });
    const ids = new Map<string, number>();
    for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) ?? 0) + 1);
    for (const [id, count] of ids) if (count > 1) problems.push({ element: `#${id}`, problem: `id used ${count} times` });
    return problems;
  });
}
