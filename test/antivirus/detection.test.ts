// What the malware stage catches, with a real clamd: EICAR in the body, in a base64 attachment, in
// a zip attachment, the test marker, in both directions; clean mail passes untouched.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClamdClient, parseClamdAddress } from '../../src/antivirus/clamd.js';
import { createAntivirusStage, type AntivirusStage } from '../../src/antivirus/stage.js';
import { EICAR, MARKER, startClamd, type ClamdProcess } from '../helpers/clamd.js';
import { ctx, eicarZip, zipOf, plainMessage, stageMessage, withAttachments } from './mail.js';

let av: ClamdProcess;
let stage: AntivirusStage;
beforeAll(async () => {
  av = await startClamd();
  stage = createAntivirusStage({
    client: createClamdClient({ address: parseClamdAddress(av.address)!, streamMaxLength: av.streamMaxLength }),
    inbound: { action: 'quarantine' },
    outbound: { action: 'quarantine' },
    postmaster: 'postmaster@hospital.test',
    hostname: 'mx.hospital.test',
  });
});
afterAll(async () => {
  await av?.close();
});

describe('malware is caught', () => {
  test('EICAR in the text body', async () => {
    const v = await stage.process(stageMessage(plainMessage(`Hello,\r\n${EICAR.toString('latin1')}\r\nBye`)), ctx());
    expect(v).toEqual({ kind: 'hold', reason: expect.stringMatching(/malware detected: Sealgate\.Test\.EICAR/) });
  });

  test('EICAR in a base64 attachment (not visible in the raw message)', async () => {
    const msg = withAttachments([{ filename: 'eicar.com', type: 'application/octet-stream', data: EICAR }]);
    expect(msg.includes(EICAR)).toBe(false);
    const v = await stage.process(stageMessage(msg), ctx());
    expect(v.kind).toBe('hold');
    expect((v as { reason: string }).reason).toMatch(/Sealgate\.Test\.EICAR/);
  });

  test('EICAR inside a zip attachment (deflated, so found only by unpacking)', async () => {
    const zip = eicarZip();
    expect(zip.includes(EICAR)).toBe(false);
    const msg = withAttachments([{ filename: 'results.zip', type: 'application/zip', data: zip }]);
    const v = await stage.process(stageMessage(msg), ctx());
    expect(v.kind).toBe('hold');
    expect((v as { reason: string }).reason).toMatch(/Sealgate\.Test\.EICAR/);
  });

  test('the .ndb test marker in a quoted-printable part, outbound', async () => {
    const qp = MARKER.replace(/-/g, '=2D');
    const msg = Buffer.from(['From: <dr.smith@hospital.test>', 'To: <billing@partner.test>', 'Subject: x', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: quoted-printable', '', `see ${qp}`, ''].join('\r\n'));
    expect(msg.includes(MARKER)).toBe(false);
    const v = await stage.process(stageMessage(msg, 'outbound'), ctx());
    expect(v).toEqual({ kind: 'hold', reason: expect.stringContaining('Sealgate.Test.Marker') });
  });
});

describe('clean mail passes', () => {
  test('plain text and a clean attachment continue unchanged', async () => {
    for (const msg of [
      plainMessage('Your appointment is on Tuesday.\r\n'),
      withAttachments([{ filename: 'report.pdf', type: 'application/pdf', data: Buffer.from('%PDF-1.4\n% clean test file\n') }, { filename: 'notes.zip', type: 'application/zip', data: zipOf('notes.txt', Buffer.from('clean notes\r\n'.repeat(100))) }]),
    ]) {
      const v = await stage.process(stageMessage(msg), ctx());
      expect(v).toEqual({ kind: 'continue' });
    }
    expect(stage.health().counters).toMatchObject({ errors: 0 });
    expect(stage.health().counters.scanned).toBeGreaterThanOrEqual(6);
  });
});
