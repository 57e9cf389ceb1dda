// outbound.* and policy.* in sealgate.yaml: defaults, and errors naming the key path.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';

const base = { domains: ['hospital.example'] };
const problems = (raw: object): string[] => {
  try {
    resolveConfig({ ...base, ...raw }, '/tmp/sealgate.yaml');
    return [];
  } catch (e) {
    return (e as { problems: string[] }).problems;
  }
};

describe('outbound configuration', () => {
  it('has the documented defaults when the section is absent', () => {
    const cfg = resolveConfig(base, '/tmp/sealgate.yaml');
    expect(cfg.outbound).toMatchObject({
      subjectTag: '[secure]',
      subjectPhi: 'replace',
      subjectReplacement: 'Secure message',
      onNotAllowed: 'hold',
      inspectEncrypted: 'hold',
      reviewer: 'the privacy officer',
      domainSign: true,
      methods: ['smime', 'tls', 'issue', 'portal', 'hold'],
    });
    expect(cfg.policy).toBeUndefined();
  });

  it('takes configured values', () => {
    const cfg = resolveConfig({ ...base, outbound: { subjectTag: '[encrypt]', subjectPhi: 'block', onNotAllowed: 'reject', inspectEncrypted: 'allow', domainSign: false, methods: ['tls', 'hold'] }, policy: { threshold: 60 } }, '/tmp/x.yaml');
    expect(cfg.outbound).toMatchObject({ subjectTag: '[encrypt]', subjectPhi: 'block', onNotAllowed: 'reject', inspectEncrypted: 'allow', domainSign: false, methods: ['tls', 'hold'] });
    expect(cfg.policy).toEqual({ threshold: 60 });
  });

  it('names the key path of each bad value', () => {
    const p = problems({ outbound: { subjectPhi: 'drop', methods: ['smime', 'pigeon'], domainSign: 'yes', colour: 1, subjectReplacement: '' }, policy: { threshold: 500, nope: 1 } });
    expect(p.some((x) => x.startsWith('outbound.subjectPhi: expected one of block, replace'))).toBe(true);
    expect(p.some((x) => x.startsWith('outbound.methods[1]:'))).toBe(true);
    expect(p.some((x) => x.startsWith('outbound.domainSign:'))).toBe(true);
    expect(p.some((x) => x.startsWith('outbound.colour: unknown key'))).toBe(true);
    expect(p.some((x) => x.startsWith('outbound.subjectReplacement:'))).toBe(true);
    expect(p.some((x) => x.startsWith('policy.threshold:'))).toBe(true);
    expect(p.some((x) => x.startsWith('policy.nope: unknown key'))).toBe(true);
  });
});
