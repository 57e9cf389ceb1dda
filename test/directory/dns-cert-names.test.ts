// DNS CERT owner names (RFC 4398 §3, Direct Project): the local part is ONE label even when it
// contains dots; and the wire-format query/answer handling of the CERT client.
import { describe, expect, it } from 'vitest';
import { certOwnerLabels, ownerText, parseCertRdata } from '../../src/directory/sources/dns-cert.js';
import { decodeResponse, encodeLabels, encodeQuery, TYPE_CERT } from '../../src/directory/sources/dns-query.js';

describe('owner names', () => {
  it('maps an address to local-part-as-one-label plus the domain, and the domain for domain-bound', () => {
    expect(certOwnerLabels('John.Doe@example.org', 'address')).toEqual(['John.Doe', 'example', 'org']);
    expect(ownerText(certOwnerLabels('John.Doe@example.org', 'address'))).toBe('John\\.Doe.example.org');
    expect(certOwnerLabels('John.Doe@example.org', 'domain')).toEqual(['example', 'org']);
  });

  it('keeps the dot inside the label on the wire', () => {
    expect(encodeLabels(['a.b', 'x'])).toEqual(Buffer.from([3, 0x61, 0x2e, 0x62, 1, 0x78, 0]));
    expect(() => encodeLabels(['x'.repeat(64)])).toThrow(/label of 64 bytes/);
  });
});

describe('wire format', () => {
  it('asks one CERT question with EDNS0 and reads the CERT answers (compressed names)', () => {
    const q = encodeQuery(0x1234, ['alice', 'partner', 'test'], TYPE_CERT);
    expect(q.readUInt16BE(0)).toBe(0x1234);
    expect(q.readUInt16BE(4)).toBe(1); // one question
    expect(q.readUInt16BE(10)).toBe(1); // OPT record
    const qEnd = 12 + encodeLabels(['alice', 'partner', 'test']).length;
    expect(q.readUInt16BE(qEnd)).toBe(37);

    const rdata = Buffer.concat([Buffer.from([0, 1, 0, 0, 0]), Buffer.from('DER')]);
    const header = Buffer.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    const question = q.subarray(12, qEnd + 4);
    const answer = Buffer.concat([Buffer.from([0xc0, 12, 0, 37, 0, 1, 0, 0, 1, 0, 0, rdata.length]), rdata]);
    const d = decodeResponse(Buffer.concat([header, question, answer]));
    expect(d).toMatchObject({ id: 0x1234, truncated: false, rcode: 0 });
    expect(d.answers).toHaveLength(1);
    expect(parseCertRdata(d.answers[0]!.data)).toEqual({ certType: 1, keyTag: 0, algorithm: 0, cert: Buffer.from('DER') });
  });

  it('refuses a truncated record instead of returning part of it', () => {
    const header = Buffer.from([0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(() => decodeResponse(Buffer.concat([header, Buffer.from([0, 0, 37, 0, 1, 0, 0, 0, 0, 0, 50, 1, 2])]))).toThrow(/truncated record data/);
  });
});
