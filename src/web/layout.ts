// Page shells shared by the console and the portal: document head (our stylesheet and script
// only), navigation filtered by role, and error pages. Trust level: renders escaped values only.
import { html, type Safe } from './http.js';

export interface NavItem {
  href: string;
  label: string;
}

export function page(title: string, body: Safe, opts: { nav?: NavItem[]; current?: string; user?: string; csrf?: string; narrow?: boolean } = {}): Safe {
  const nav = opts.nav
    ? html`<header class="top"><span class="brand">Sealgate</span><nav aria-label="Main">${opts.nav.map(
        (n) => html`<a href="${n.href}"${n.href === opts.current ? html` aria-current="page"` : ''}>${n.label}</a>`,
      )}</nav>${opts.user ? html`<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${opts.csrf}"><span class="muted">${opts.user}</span> <button class="secondary" type="submit">Sign out</button></form>` : ''}</header>`
    : html`<header class="top"><span class="brand">Sealgate</span></header>`;
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><link rel="stylesheet" href="/static/app.css"><script src="/static/app.js" defer></script></head><body>${nav}<main id="main" class="${opts.narrow ? 'narrow' : ''}">${body}</main></body></html>`;
}

const TITLES: Record<number, string> = { 400: 'Bad request', 403: 'Forbidden', 404: 'Not found', 405: 'Method not allowed', 413: 'Too large', 429: 'Too many requests', 500: 'Something went wrong' };

export function errorPage(status: number, message: string): Safe {
  const title = TITLES[status] ?? 'Error';
  return page(title, html`<h1>${title}</h1><p>${message}</p><p><a href="/">Back</a></p>`, { narrow: true });
}
