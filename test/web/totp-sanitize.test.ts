// Pure parts of the web module: RFC 6238 TOTP (the RFC's own test vectors), base32, and the HTML
// sanitizer used by the pickup portal (no scripts, handlers, remote images or javascript: links).
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, totp, verifyTotp } from '../../src/web/totp.js';
import { sanitizeHtml } from '../../src/web/sanitize.js';

describe('TOTP (RFC 6238 appendix B, SHA-1)', () => {
  const secret = base32Encode(Buffer.from('12345678901234567890'));
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
  ])('at %i s the 8-digit code is %s', (t, code) => {
    expect(totp(secret, new Date(t * 1000), 8)).toBe(code);
  });
  it('accepts the neighbouring step and refuses older codes', () => {
    const at = new Date(1_700_000_000_000);
    expect(verifyTotp(secret, totp(secret, new Date(at.getTime() - 30_000)), at)).toBe(true);
    expect(verifyTotp(secret, totp(secret, new Date(at.getTime() - 90_000)), at)).toBe(false);
    expect(verifyTotp(secret, 'abcdef', at)).toBe(false);
  });
  it('round-trips base32', () => {
    const b = Buffer.from([0, 1, 2, 250, 255, 7, 9]);
    expect(base32Decode(base32Encode(b))).toEqual(b);
  });
});

describe('portal HTML sanitizer', () => {
  it('drops scripts, styles, handlers, frames and remote images; keeps formatting and safe links', () => {
    const r = sanitizeHtml(
      '<p onclick="x()">Hi <b>there</b><script>alert(1)</script><style>p{}</style><img src="https://t.example/p.gif"><iframe src="https://e.example"></iframe>' +
        '<a href="javascript:alert(1)">bad</a> <a href="https://ok.example/">ok</a><svg><script>1</script></svg></p>',
    );
    expect(r.html).toBe('<p>Hi <b>there</b><span class="muted">[image blocked]</span><a>bad</a> <a href="https://ok.example/" rel="noopener noreferrer nofollow" target="_blank">ok</a></p>');
    expect(r.blockedImages).toBe(1);
  });
  it('escapes stray angle brackets and closes open tags', () => {
    expect(sanitizeHtml('a < b > c <div><b>x').html).toBe('a &lt; b &gt; c <div><b>x</b></div>');
    expect(sanitizeHtml('<scr<script>ipt>alert(1)</script>').html).not.toContain('<script');
  });
});
