// NIST PKITS (../shared/testdata/pkits) through validatePath: every end-entity certificate of the
// covered sections, expected outcome taken from its file name (Valid*EE.crt / Invalid*EE.crt).
// Store: every non-EE certificate as a candidate intermediate, every CRL; trust anchor
// TrustAnchorRootCertificate.crt; validation time 2010-06-01 (PKITS certificates run 2001-2011);
// purpose 'any' (PKITS has no emailProtection EKU); revocation 'require' (PKITS 4.4.1 expects a
// missing CRL to invalidate the path). Section/test numbers follow the PKITS document.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatePath } from '../../src/pki/path-validation.js';

const ROOT = join(process.cwd(), '..', 'shared', 'testdata', 'pkits');
const AT = new Date('2010-06-01T00:00:00Z');

const certFiles = readdirSync(join(ROOT, 'certs'));
const anchor = readFileSync(join(ROOT, 'certs', 'TrustAnchorRootCertificate.crt'));
const intermediates = certFiles
  .filter((f) => !f.endsWith('EE.crt') && f !== 'TrustAnchorRootCertificate.crt')
  .map((f) => readFileSync(join(ROOT, 'certs', f)));
const crls = readdirSync(join(ROOT, 'crls')).map((f) => readFileSync(join(ROOT, 'crls', f)));

/** PKITS test names per section, in document order (test n = index + 1). */
const SECTIONS: Record<string, { title: string; tests: string[]; complete: boolean }> = {
  '4.1': {
    title: 'Signature Verification',
    complete: true,
    tests: ['ValidCertificatePathTest1', 'InvalidCASignatureTest2', 'InvalidEESignatureTest3', 'ValidDSASignaturesTest4', 'ValidDSAParameterInheritanceTest5', 'InvalidDSASignatureTest6'],
  },
  '4.2': {
    title: 'Validity Periods',
    complete: true,
    tests: [
      'InvalidCAnotBeforeDateTest1', 'InvalidEEnotBeforeDateTest2', 'Validpre2000UTCnotBeforeDateTest3', 'ValidGeneralizedTimenotBeforeDateTest4',
      'InvalidCAnotAfterDateTest5', 'InvalidEEnotAfterDateTest6', 'Invalidpre2000UTCEEnotAfterDateTest7', 'ValidGeneralizedTimenotAfterDateTest8',
    ],
  },
  '4.3': {
    title: 'Verifying Name Chaining',
    complete: true,
    tests: [
      'InvalidNameChainingTest1', 'InvalidNameChainingOrderTest2', 'ValidNameChainingWhitespaceTest3', 'ValidNameChainingWhitespaceTest4',
      'ValidNameChainingCapitalizationTest5', 'ValidNameUIDsTest6', 'ValidRFC3280MandatoryAttributeTypesTest7', 'ValidRFC3280OptionalAttributeTypesTest8',
      'ValidUTF8StringEncodedNamesTest9', 'ValidRolloverfromPrintableStringtoUTF8StringTest10', 'ValidUTF8StringCaseInsensitiveMatchTest11',
    ],
  },
  '4.4': {
    title: 'Basic Certificate Revocation',
    complete: true,
    tests: [
      'InvalidMissingCRLTest1', 'InvalidRevokedCATest2', 'InvalidRevokedEETest3', 'InvalidBadCRLSignatureTest4', 'InvalidBadCRLIssuerNameTest5',
      'InvalidWrongCRLTest6', 'ValidTwoCRLsTest7', 'InvalidUnknownCRLEntryExtensionTest8', 'InvalidUnknownCRLExtensionTest9',
      'InvalidUnknownCRLExtensionTest10', 'InvalidOldCRLnextUpdateTest11', 'Invalidpre2000CRLnextUpdateTest12', 'ValidGeneralizedTimeCRLnextUpdateTest13',
      'ValidNegativeSerialNumberTest14', 'InvalidNegativeSerialNumberTest15', 'ValidLongSerialNumberTest16', 'ValidLongSerialNumberTest17',
      'InvalidLongSerialNumberTest18', 'ValidSeparateCertificateandCRLKeysTest19', 'InvalidSeparateCertificateandCRLKeysTest20',
      'InvalidSeparateCertificateandCRLKeysTest21',
    ],
  },
  '4.5': {
    title: 'Verifying Paths with Self-Issued Certificates',
    complete: true,
    tests: [
      'ValidBasicSelfIssuedOldWithNewTest1', 'InvalidBasicSelfIssuedOldWithNewTest2', 'ValidBasicSelfIssuedNewWithOldTest3',
      'ValidBasicSelfIssuedNewWithOldTest4', 'InvalidBasicSelfIssuedNewWithOldTest5', 'ValidBasicSelfIssuedCRLSigningKeyTest6',
      'InvalidBasicSelfIssuedCRLSigningKeyTest7', 'InvalidBasicSelfIssuedCRLSigningKeyTest8',
    ],
  },
  '4.6': {
    title: 'Verifying Basic Constraints',
    complete: true,
    tests: [
      'InvalidMissingbasicConstraintsTest1', 'InvalidcAFalseTest2', 'InvalidcAFalseTest3', 'ValidbasicConstraintsNotCriticalTest4',
      'InvalidpathLenConstraintTest5', 'InvalidpathLenConstraintTest6', 'ValidpathLenConstraintTest7', 'ValidpathLenConstraintTest8',
      'InvalidpathLenConstraintTest9', 'InvalidpathLenConstraintTest10', 'InvalidpathLenConstraintTest11', 'InvalidpathLenConstraintTest12',
      'ValidpathLenConstraintTest13', 'ValidpathLenConstraintTest14', 'ValidSelfIssuedpathLenConstraintTest15',
      'InvalidSelfIssuedpathLenConstraintTest16', 'ValidSelfIssuedpathLenConstraintTest17',
    ],
  },
  '4.7': {
    title: 'Key Usage',
    complete: true,
    tests: [
      'InvalidkeyUsageCriticalkeyCertSignFalseTest1', 'InvalidkeyUsageNotCriticalkeyCertSignFalseTest2', 'ValidkeyUsageNotCriticalTest3',
      'InvalidkeyUsageCriticalcRLSignFalseTest4', 'InvalidkeyUsageNotCriticalcRLSignFalseTest5',
    ],
  },
  '4.13': {
    title: 'Name Constraints',
    complete: true,
    tests: [
      'ValidDNnameConstraintsTest1', 'InvalidDNnameConstraintsTest2', 'InvalidDNnameConstraintsTest3', 'ValidDNnameConstraintsTest4',
      'ValidDNnameConstraintsTest5', 'ValidDNnameConstraintsTest6', 'InvalidDNnameConstraintsTest7', 'InvalidDNnameConstraintsTest8',
      'InvalidDNnameConstraintsTest9', 'InvalidDNnameConstraintsTest10', 'ValidDNnameConstraintsTest11', 'InvalidDNnameConstraintsTest12',
      'InvalidDNnameConstraintsTest13', 'ValidDNnameConstraintsTest14', 'InvalidDNnameConstraintsTest15', 'InvalidDNnameConstraintsTest16',
      'InvalidDNnameConstraintsTest17', 'ValidDNnameConstraintsTest18', 'ValidDNnameConstraintsTest19', 'InvalidDNnameConstraintsTest20',
      'ValidRFC822nameConstraintsTest21', 'InvalidRFC822nameConstraintsTest22', 'ValidRFC822nameConstraintsTest23',
      'InvalidRFC822nameConstraintsTest24', 'ValidRFC822nameConstraintsTest25', 'InvalidRFC822nameConstraintsTest26',
      'ValidDNandRFC822nameConstraintsTest27', 'InvalidDNandRFC822nameConstraintsTest28', 'InvalidDNandRFC822nameConstraintsTest29',
      'ValidDNSnameConstraintsTest30', 'InvalidDNSnameConstraintsTest31', 'ValidDNSnameConstraintsTest32',
      'InvalidDNSnameConstraintsTest33', 'ValidURInameConstraintsTest34', 'InvalidURInameConstraintsTest35',
      'ValidURInameConstraintsTest36', 'InvalidURInameConstraintsTest37', 'InvalidDNSnameConstraintsTest38',
    ],
  },
  '4.14': {
    title: 'Distribution Points (partial support)',
    complete: false,
    tests: [
      'ValiddistributionPointTest1', 'InvaliddistributionPointTest2', 'InvaliddistributionPointTest3', 'ValiddistributionPointTest4',
      'ValiddistributionPointTest5', 'InvaliddistributionPointTest6', 'ValiddistributionPointTest7', 'InvaliddistributionPointTest8',
      'InvaliddistributionPointTest9', 'ValidNoissuingDistributionPointTest10', 'InvalidonlyContainsUserCertsTest11',
      'InvalidonlyContainsCACertsTest12', 'ValidonlyContainsCACertsTest13', 'InvalidonlyContainsAttributeCertsTest14',
      'InvalidonlySomeReasonsTest15', 'InvalidonlySomeReasonsTest16', 'InvalidonlySomeReasonsTest17', 'ValidonlySomeReasonsTest18',
      'ValidonlySomeReasonsTest19', 'InvalidonlySomeReasonsTest20', 'InvalidonlySomeReasonsTest21', 'ValidIDPwithindirectCRLTest22',
      'InvalidIDPwithindirectCRLTest23', 'ValidIDPwithindirectCRLTest24', 'ValidIDPwithindirectCRLTest25', 'InvalidIDPwithindirectCRLTest26',
      'InvalidcRLIssuerTest27', 'ValidcRLIssuerTest28', 'ValidcRLIssuerTest29', 'ValidcRLIssuerTest30', 'InvalidcRLIssuerTest31',
      'InvalidcRLIssuerTest32', 'ValidcRLIssuerTest33', 'InvalidcRLIssuerTest34', 'InvalidcRLIssuerTest35',
    ],
  },
  '4.15': {
    title: 'Delta-CRLs',
    complete: true,
    tests: [
      'InvaliddeltaCRLIndicatorNoBaseTest1', 'ValiddeltaCRLTest2', 'InvaliddeltaCRLTest3', 'InvaliddeltaCRLTest4', 'ValiddeltaCRLTest5',
      'InvaliddeltaCRLTest6', 'ValiddeltaCRLTest7', 'ValiddeltaCRLTest8', 'InvaliddeltaCRLTest9', 'InvaliddeltaCRLTest10',
    ],
  },
  '4.16': {
    title: 'Private Certificate Extensions',
    complete: true,
    tests: ['ValidUnknownNotCriticalCertificateExtensionTest1', 'InvalidUnknownCriticalCertificateExtensionTest2'],
  },
};

/**
 * Valid cases of the partially supported sections that we knowingly reject (fail closed), with why.
 * Any Valid case not listed here must validate; no Invalid case may ever validate.
 */
const KNOWN_GAPS: Record<string, string> = {
  ValidonlySomeReasonsTest18: 'CRLs partitioned by reason (onlySomeReasons) are not supported',
  ValidonlySomeReasonsTest19: 'CRLs partitioned by reason (onlySomeReasons) are not supported',
  ValidIDPwithindirectCRLTest22: 'indirect CRLs are not supported',
  ValidIDPwithindirectCRLTest24: 'indirect CRLs are not supported',
  ValidIDPwithindirectCRLTest25: 'indirect CRLs are not supported',
  ValidcRLIssuerTest28: 'indirect CRLs (cRLIssuer) are not supported',
  ValidcRLIssuerTest29: 'indirect CRLs (cRLIssuer) are not supported',
  ValidcRLIssuerTest30: 'indirect CRLs (cRLIssuer) are not supported',
  ValidcRLIssuerTest33: 'indirect CRLs (cRLIssuer) are not supported',
};

function run(test: string) {
  const file = `${test}EE.crt`;
  const leaf = readFileSync(join(ROOT, 'certs', file));
  return validatePath(leaf, { trustAnchors: [anchor], intermediates, crls, at: AT, purpose: 'any' });
}

const summary: { section: string; title: string; total: number; pass: number; gaps: string[] }[] = [];

for (const [section, { title, tests, complete }] of Object.entries(SECTIONS)) {
  describe(`PKITS ${section} ${title}`, () => {
    const row = { section, title, total: tests.length, pass: 0, gaps: [] as string[] };
    summary.push(row);
    tests.forEach((test, i) => {
      const expectValid = test.startsWith('Valid');
      const gap = !complete ? KNOWN_GAPS[test] : undefined;
      it(`${section}.${i + 1} ${test} is ${expectValid ? 'valid' : 'invalid'}${gap ? ' (known gap: rejected)' : ''}`, () => {
        expect(certFiles).toContain(`${test}EE.crt`);
        const r = run(test);
        if (gap) {
          // Fails closed: a path we cannot fully check is rejected, with a reason.
          expect(r.valid).toBe(false);
          expect(r.failures.length).toBeGreaterThan(0);
          row.gaps.push(test);
          return;
        }
        expect({ test, valid: r.valid, failures: r.failures }).toEqual({ test, valid: expectValid, failures: expectValid ? [] : expect.any(Array) });
        if (!expectValid) expect(r.failures.length).toBeGreaterThan(0);
        row.pass++;
      });
    });
  });
}

// Sections 4.8-4.12 (certificate policies, explicit policy, policy mappings, inhibit policy mapping,
// inhibit anyPolicy) are not processed. What must hold there: no Invalid case is
// ever accepted (their CA certificates carry those extensions critical, which we reject). Valid cases
// may be rejected; the count is printed. Tests named without Valid/Invalid (4.8 outcomes that depend
// on the initial policy settings) are skipped.
const covered = new Set(Object.values(SECTIONS).flatMap((x) => x.tests));
const others = certFiles
  .filter((f) => f.endsWith('EE.crt'))
  .map((f) => f.slice(0, -'EE.crt'.length))
  .filter((t) => !covered.has(t) && /^(Valid|Invalid)/.test(t));
const otherRow = { invalidRejected: 0, validAccepted: 0, validRejected: 0 };

describe('PKITS 4.8-4.12 (policies, not processed): fail closed', () => {
  it.each(others.filter((t) => t.startsWith('Invalid')))('%s is not accepted', (test) => {
    const r = run(test);
    expect(r.valid).toBe(false);
    otherRow.invalidRejected++;
  });
  it('Valid cases: counted (a rejection here is a documented gap, not a test failure)', () => {
    for (const t of others.filter((x) => x.startsWith('Valid'))) {
      if (run(t).valid) otherRow.validAccepted++;
      else otherRow.validRejected++;
    }
    expect(otherRow.validAccepted + otherRow.validRejected).toBe(others.filter((x) => x.startsWith('Valid')).length);
  });
});

describe('PKITS summary', () => {
  it('prints the coverage table', () => {
    const lines = summary.map((r) => `${r.section.padEnd(5)} ${r.title.padEnd(50)} ${r.pass}/${r.total} as expected${r.gaps.length ? `, ${r.gaps.length} known gaps rejected` : ''}`);
    lines.push(
      `4.8-4.12 not processed: ${otherRow.invalidRejected} Invalid cases all rejected; of the Valid cases ${otherRow.validAccepted} accepted, ${otherRow.validRejected} rejected (unsupported critical extension)`,
    );
    console.log('PKITS results\n' + lines.join('\n'));
    expect(summary.length).toBe(Object.keys(SECTIONS).length);
  });
});
