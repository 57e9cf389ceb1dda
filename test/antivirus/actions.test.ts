// What each configured action does with an infected message (real clamd): reject bounces with the
// threat, quarantine holds, cleanse swaps only the infected part for a notice (saying when a
// signature no longer applies), destroy replaces the message by a notice; each is audited.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClamdClient, parseClamdAddress, type ClamdClient } from '../../src/antivirus/clamd.js';
import { leafParts } from '../../src/antivirus/parts.js';
import { createAntivirusStage, type AntivirusAction } from '../../src/antivirus/stage.js';
import type { AuditEvent } from '../../src/store/types.js';
import { EICAR, MARKER, startClamd, type ClamdProcess } from '../helpers/clamd.js';
import { attachmentEntity, ctx, eicarZip, headers, plainMessage, stageMessage, TEXT_PART, withAttachments } from './mail.js';

let av: ClamdProcess;
let client: ClamdClient;
beforeAll(async () => {
  av = await startClamd();
  client = createClamdClient({ address: parseClamdAddress(av.address)!, streamMaxLength: av.streamMaxLength });
});
afterAll(async () => {
  await av?.close();
});

function stageFor(inbound: AntivirusAction, outbound: AntivirusAction = 'quarantine') {
  const audit: AuditEvent[] = [];
  const stage = createAntivirusStage({
    client,
    inbound: { action: inbound },
    outbound: { action: outbound },
    postmaster: 'postmaster@hospital.test',
    hostname: 'mx.hospital.test',
    audit: async (e) => void audit.push(e),
  });
  return { stage, audit };
}

const CLEAN_PDF = { filename: 'report.pdf', type: 'application/pdf', data: Buffer.from('%PDF-1.4\n% a clean test document\n'.repeat(20)) };
const EICAR_ATT = { filename: 'invoice.com', type: 'application/octet-stream', data: EICAR };

describe('reject and quarantine', () => {
  test('reject: verdict reject naming the threat (the queue sends the DSN), audited', async () => {
    const { stage, audit } = stageFor('reject');
    const m = stageMessage(withAttachments([EICAR_ATT]));
    const v = await stage.process(m, ctx());
    expect(v).toEqual({ kind: 'reject', reason: expect.stringMatching(/^malware detected: Sealgate\.Test\.EICAR/) });
    expect(audit).toEqual([{ type: 'malware', actor: 'system', messageId: m.id, data: expect.objectContaining({ direction: 'inbound', action: 'reject', threats: [expect.stringMatching(/EICAR/)] }) }]);
  });

  test('quarantine: verdict hold with the threat in the reason', async () => {
    const { stage, audit } = stageFor('quarantine');
    const v = await stage.process(stageMessage(plainMessage(`x ${MARKER} y`)), ctx());
    expect(v).toEqual({ kind: 'hold', reason: 'antivirus: malware detected: Sealgate.Test.Marker.UNOFFICIAL' });
    expect(audit[0]!.data).toMatchObject({ action: 'quarantine' });
  });

  test('each direction uses its own action', async () => {
    const { stage } = stageFor('quarantine', 'reject');
    expect((await stage.process(stageMessage(plainMessage(MARKER), 'outbound'), ctx())).kind).toBe('reject');
    expect((await stage.process(stageMessage(plainMessage(MARKER), 'inbound'), ctx())).kind).toBe('hold');
  });
});

describe('cleanse', () => {
  test('the infected attachment is replaced by a notice; the other parts stay byte-identical', async () => {
    const { stage, audit } = stageFor('cleanse');
    const original = withAttachments([CLEAN_PDF, { filename: 'scan.zip', type: 'application/zip', data: eicarZip() }, { ...CLEAN_PDF, filename: 'second.pdf' }]);
    const v = await stage.process(stageMessage(original), ctx());
    expect(v.kind).toBe('continue');
    const out = (v as { body: Buffer }).body;
    // The result is clean according to the real scanner.
    expect(await client.scan(out)).toEqual({ infected: false });
    // Same structure: text, pdf, notice (where the zip was), pdf.
    const leaves = leafParts(out);
    expect(leaves.map((l) => l.mediaType)).toEqual(['text/plain', 'application/pdf', 'text/plain', 'application/pdf']);
    const notice = leaves[2]!.content().toString('latin1');
    expect(notice).toMatch(/removed a part of this message because it contains malware/);
    expect(notice).toContain('"scan.zip" (application/zip)');
    expect(notice).toMatch(/Threat: Sealgate\.Test\.EICAR/);
    expect(notice).not.toMatch(/signature/);
    // Everything except the zip's entity is unchanged, byte for byte.
    const zipLeaf = leafParts(original)[2]!;
    expect(out.subarray(0, zipLeaf.start).equals(original.subarray(0, zipLeaf.start))).toBe(true);
    expect(out.subarray(out.length - (original.length - zipLeaf.end)).equals(original.subarray(zipLeaf.end))).toBe(true);
    expect(out.includes(Buffer.from(attachmentEntity(CLEAN_PDF)))).toBe(true);
    expect((v as { note: string }).note).toMatch(/removed 1 infected part/);
    expect(audit[0]!.data).toMatchObject({ action: 'cleanse' });
  });

  test('a single-part infected message keeps its headers and gets the notice as its body', async () => {
    const { stage } = stageFor('cleanse');
    const original = plainMessage(`Hello\r\n${EICAR.toString('latin1')}\r\n`, 'Lab results');
    const v = await stage.process(stageMessage(original), ctx());
    expect(v.kind).toBe('continue');
    const out = (v as { body: Buffer }).body.toString('latin1');
    expect(out).toMatch(/^From: <lab@partner\.test>\r\nTo: <nurse@hospital\.test>\r\nSubject: Lab results\r\n/);
    expect(out).toContain('Content-Type: text/plain; charset=us-ascii');
    expect(out).toMatch(/Threat: Sealgate\.Test\.EICAR/);
    expect(out).not.toContain('EICAR-STANDARD');
  });

  test('a part inside multipart/signed: the notice says the signature no longer applies', async () => {
    const { stage } = stageFor('cleanse');
    const inner = ['Content-Type: multipart/mixed; boundary="inner"', '', '--inner', TEXT_PART, '--inner', attachmentEntity(EICAR_ATT), '--inner--', ''].join('\r\n');
    const sig = ['Content-Type: application/pkcs7-signature; name="smime.p7s"', 'Content-Transfer-Encoding: base64', 'Content-Disposition: attachment; filename="smime.p7s"', '', Buffer.from('not a real signature, structure only').toString('base64'), ''].join('\r\n');
    const msg = Buffer.from([...headers('Signed report', ['Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="outer"']), '', '--outer', inner, '--outer', sig, '--outer--', ''].join('\r\n'), 'latin1');
    const v = await stage.process(stageMessage(msg), ctx());
    expect(v.kind).toBe('continue');
    const leaves = leafParts((v as { body: Buffer }).body);
    expect(leaves.map((l) => l.mediaType)).toEqual(['text/plain', 'text/plain', 'application/pkcs7-signature']);
    expect(leaves[1]!.content().toString()).toMatch(/The removed part was covered by a digital signature\. The signature no longer\r\napplies/);
  });

  test('an unparseable message cannot be cleansed and is held instead', async () => {
    const { stage, audit } = stageFor('cleanse');
    const msg = Buffer.from(['Subject: x', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="nowhere"', '', EICAR.toString('latin1'), ''].join('\r\n'), 'latin1');
    const v = await stage.process(stageMessage(msg), ctx());
    expect(v).toEqual({ kind: 'hold', reason: expect.stringMatching(/malware detected \(Sealgate\.Test\.EICAR.*\); cannot cleanse/) });
    expect(audit[0]!.data).toMatchObject({ action: 'quarantine-fallback' });
  });
});

describe('destroy', () => {
  test('the message is replaced by a notice to the recipients; the original is gone; audited', async () => {
    const { stage, audit } = stageFor('destroy');
    const m = stageMessage(withAttachments([CLEAN_PDF, EICAR_ATT]));
    const v = await stage.process(m, ctx());
    expect(v.kind).toBe('continue');
    const out = (v as { body: Buffer }).body;
    const text = out.toString('latin1');
    expect(text).toMatch(/^From: Mail Gateway <postmaster@hospital\.test>\r\n/);
    expect(text).toContain('Subject: Message removed: malware detected');
    expect(text).toContain('To: undisclosed-recipients:;');
    expect(text).toContain('Sender: lab@partner.test');
    expect(text).toContain(`Gateway reference: ${m.id}`);
    expect(text).toMatch(/Threat: Sealgate\.Test\.EICAR/);
    expect(text).not.toContain('report.pdf');
    expect(await client.scan(out)).toEqual({ infected: false });
    expect((v as { note: string }).note).toMatch(/destroyed/);
    expect(audit).toEqual([{ type: 'malware', actor: 'system', messageId: m.id, data: expect.objectContaining({ action: 'destroy' }) }]);
  });

  test('if the audit record cannot be written the stage fails (the runner makes it a temp-fail)', async () => {
    const stage = createAntivirusStage({ client, inbound: { action: 'destroy' }, outbound: { action: 'destroy' }, postmaster: 'p@h.test', hostname: 'h.test', audit: async () => Promise.reject(new Error('db down')) });
    await expect(stage.process(stageMessage(plainMessage(MARKER)), ctx())).rejects.toThrow();
  });
});
