// The console's and portal's only stylesheet and script, served from /static/ (the CSP allows
// scripts and styles from our own origin only; no inline code, no CDN). Trust level: static text.

export const APP_CSS = `
:root{--fg:#1b1f24;--muted:#4b5563;--bg:#fff;--line:#d0d7de;--accent:#0b5cad;--bad:#b42318;--ok:#067647;--warn:#8a5a00}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f59e0b;outline-offset:2px}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.6rem 1rem;background:#0f2a44;color:#fff}
header.top nav{display:flex;flex-wrap:wrap;gap:.1rem .4rem}
header.top a{color:#fff;text-decoration:none;padding:.2rem .3rem}
header.top a[aria-current=page]{border-bottom:2px solid #fff}
header.top .brand{font-weight:700;margin-right:1rem}
header.top form{margin-left:auto}
main{max-width:72rem;margin:0 auto;padding:1rem}
main.narrow{max-width:34rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid var(--line);padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}
.table-wrap{overflow-x:auto}
label{display:block;font-weight:600;margin:.6rem 0 .2rem}
input[type=text],input[type=password],input[type=search],input[type=email],input[type=number],select,textarea{width:100%;max-width:36rem;padding:.55rem;border:1px solid #6b7280;border-radius:4px;font:inherit}
textarea{min-height:10rem;font-family:ui-monospace,monospace;font-size:.9rem}
button,.button{display:inline-block;padding:.55rem 1rem;border:0;border-radius:4px;background:var(--accent);color:#fff;font:inherit;cursor:pointer;text-decoration:none;margin:.3rem .3rem .3rem 0}
button.danger{background:var(--bad)}
button.secondary{background:#374151}
.inline{display:inline}
.notice{padding:.7rem 1rem;border-left:4px solid var(--accent);background:#eef5fc;margin:1rem 0}
.notice.bad{border-color:var(--bad);background:#fdf0ef}
.notice.ok{border-color:var(--ok);background:#ecfdf3}
.secret{font-family:ui-monospace,monospace;font-size:1.3rem;padding:.5rem;background:#fff7e6;border:1px dashed var(--warn)}
.muted{color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(13rem,1fr));gap:1rem}
.card{border:1px solid var(--line);border-radius:6px;padding:.8rem}
.card .big{font-size:1.8rem;font-weight:700}
figure{margin:0 0 1rem}
svg.chart{display:block;width:100%;height:auto}
svg.chart rect.in{fill:#0b5cad} svg.chart rect.out{fill:#16a34a} svg.chart rect.bar{fill:#0b5cad}
svg.chart text{font-size:9px;fill:#374151}
.legend .in,.legend .bar{color:#0b5cad}.legend .out{color:#16a34a}
header.top .muted{color:#e2e8f0}
.message{border:1px solid var(--line);border-radius:6px;padding:1rem;overflow-wrap:anywhere;background:#fafafa}
.message img{max-width:100%}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:.6rem;border-radius:4px}
.ok{color:var(--ok)}.bad{color:var(--bad)}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
@media (max-width:40rem){main{padding:.7rem}h1{font-size:1.3rem}header.top{padding:.5rem}th,td{padding:.3rem}button,.button{width:100%;text-align:center}}
`;

/** Confirmation prompts for destructive buttons (data-confirm) and the "copy" buttons. */
export const APP_JS = `'use strict';
document.addEventListener('submit', function (e) {
  var b = e.submitter;
  var msg = (b && b.getAttribute('data-confirm')) || e.target.getAttribute('data-confirm');
  if (msg && !window.confirm(msg)) e.preventDefault();
});
document.addEventListener('click', function (e) {
  var t = e.target.closest && e.target.closest('[data-copy]');
  if (!t) return;
  var el = document.getElementById(t.getAttribute('data-copy'));
  if (el && navigator.clipboard) navigator.clipboard.writeText(el.textContent.trim());
});
`;
