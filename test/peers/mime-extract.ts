// Test-only: a deliberately separate, minimal S/MIME wrapper/unwrapper for peers that only speak DER
// CMS (NSS cmsutil, gpgsm, the Bouncy Castle harness). It shares no code with src/smime/mime.ts so a
// bug there cannot cancel itself out in the interop matrix. Trust level: test harness.

function splitHeaderBody(msg: Buffer): { header: string; body: Buffer } {
  let i = msg.indexOf('\r\n\r\n');
  let sep = 4;
  const j = msg.indexOf('\n\n');
  if (i < 0 || (j >= 0 && j < i)) {
    i = j;
    sep = 2;
  }
  if (i < 0) throw new Error('no header/body separator');
  return { header: msg.subarray(0, i).toString('latin1'), body: msg.subarray(i + sep) };
}

function contentType(header: string): string {
  const unfolded = header.replace(/\r?\n[ \t]+/g, ' ');
  const m = /^content-type:(.*)$/im.exec(unfolded);
  if (!m) throw new Error('no Content-Type');
  return m[1].trim();
}

/** DER of an application/pkcs7-mime entity (base64 body) at the top of a message. */
export function extractP7m(msg: Buffer): Buffer {
  const { header, body } = splitHeaderBody(msg);
  if (!/application\/(x-)?pkcs7-mime/i.test(contentType(header))) {
    throw new Error(`not application/pkcs7-mime: ${contentType(header)}`);
  }
  return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
}

/** Signed content bytes and signature DER of a top-level multipart/signed message (RFC 1847/2046). */
export function extractMultipartSigned(msg: Buffer): { content: Buffer; signature: Buffer } {
  const { header, body } = splitHeaderBody(msg);
  const ct = contentType(header);
  if (!/^multipart\/signed/i.test(ct)) throw new Error(`not multipart/signed: ${ct}`);
  const b = /boundary="?([^";]+)"?/i.exec(ct)?.[1];
  if (!b) throw new Error('no boundary');
  const delim = Buffer.from(`--${b}`);
  let start = body.indexOf(delim);
  if (start < 0) throw new Error('no first boundary');
  start = body.indexOf('\n', start) + 1;
  const end = body.indexOf(Buffer.from(`\r\n--${b}`), start);
  if (end < 0) throw new Error('no second boundary');
  const content = body.subarray(start, end);
  const rest = body.subarray(end + 2 + delim.length);
  const sigPart = rest.subarray(rest.indexOf('\n') + 1);
  const close = sigPart.indexOf(delim);
  const sig = splitHeaderBody(sigPart.subarray(0, close < 0 ? sigPart.length : close)).body;
  return { content, signature: Buffer.from(sig.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64') };
}

function b64lines(der: Buffer): string {
  return (der.toString('base64').match(/.{1,64}/g) ?? []).join('\r\n') + '\r\n';
}

export function wrapP7m(
  der: Buffer,
  smimeType: 'enveloped-data' | 'authEnveloped-data' | 'signed-data',
  outer = 'From: peer@example.test\r\nTo: alice@example.test\r\nSubject: interop\r\n',
): Buffer {
  return Buffer.from(
    outer +
      'MIME-Version: 1.0\r\n' +
      `Content-Type: application/pkcs7-mime; smime-type=${smimeType}; name="smime.p7m"\r\n` +
      'Content-Transfer-Encoding: base64\r\n' +
      'Content-Disposition: attachment; filename="smime.p7m"\r\n\r\n' +
      b64lines(der),
    'latin1',
  );
}

export function wrapMultipartSigned(
  content: Buffer,
  sigDer: Buffer,
  micalg: string,
  outer = 'From: peer@example.test\r\nTo: alice@example.test\r\nSubject: interop\r\n',
): Buffer {
  const b = 'peer-boundary-7f3a9c';
  return Buffer.concat([
    Buffer.from(
      outer +
        'MIME-Version: 1.0\r\n' +
        `Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=${micalg}; boundary="${b}"\r\n\r\n` +
        `This is an S/MIME signed message\r\n\r\n--${b}\r\n`,
      'latin1',
    ),
    content,
    Buffer.from(
      `\r\n--${b}\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\n` +
        'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7s"\r\n\r\n' +
        b64lines(sigDer) +
        `\r\n--${b}--\r\n`,
      'latin1',
    ),
  ]);
}
