// NIST PKITS (../shared/testdata/pkits) through validatePath: every end-entity certificate, sections
// 4.1-4.16, expected outcome taken from its file name (Valid*EE.crt / Invalid*EE.crt) or, for the few
// names without that prefix, from the PKITS document's outcome under the default settings.
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
const SECTIONS: Record<string, { title: string; tests: string[] }> = {
  '4.1': {
    title: 'Signature Verification',
    tests: ['ValidCertificatePathTest1', 'InvalidCASignatureTest2', 'InvalidEESignatureTest3', 'ValidDSASignaturesTest4', 'ValidDSAParameterInheritanceTest5', 'InvalidDSASignatureTest6'],
  },
  '4.2': {
    title: 'Validity Periods',
    tests: [
      'InvalidCAnotBeforeDateTest1', 'InvalidEEnotBeforeDateTest2', 'Validpre2000UTCnotBeforeDateTest3', 'ValidGeneralizedTimenotBeforeDateTest4',
      'InvalidCAnotAfterDateTest5', 'InvalidEEnotAfterDateTest6', 'Invalidpre2000UTCEEnotAfterDateTest7', 'ValidGeneralizedTimenotAfterDateTest8',
    ],
  },
  '4.3': {
    title: 'Verifying Name Chaining',
    tests: [
      'InvalidNameChainingTest1', 'InvalidNameChainingOrderTest2', 'ValidNameChainingWhitespaceTest3', 'ValidNameChainingWhitespaceTest4',
      'ValidNameChainingCapitalizationTest5', 'ValidNameUIDsTest6', 'ValidRFC3280MandatoryAttributeTypesTest7', 'ValidRFC3280OptionalAttributeTypesTest8',
      'ValidUTF8StringEncodedNamesTest9', 'ValidRolloverfromPrintableStringtoUTF8StringTest10', 'ValidUTF8StringCaseInsensitiveMatchTest11',
    ],
  },
  '4.4': {
    title: 'Basic Certificate Revocation',
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
    tests: [
      'ValidBasicSelfIssuedOldWithNewTest1', 'InvalidBasicSelfIssuedOldWithNewTest2', 'ValidBasicSelfIssuedNewWithOldTest3',
      'ValidBasicSelfIssuedNewWithOldTest4', 'InvalidBasicSelfIssuedNewWithOldTest5', 'ValidBasicSelfIssuedCRLSigningKeyTest6',
      'InvalidBasicSelfIssuedCRLSigningKeyTest7', 'InvalidBasicSelfIssuedCRLSigningKeyTest8',
    ],
  },
  '4.6': {
    title: 'Verifying Basic Constraints',
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
    tests: [
      'InvalidkeyUsageCriticalkeyCertSignFalseTest1', 'InvalidkeyUsageNotCriticalkeyCertSignFalseTest2', 'ValidkeyUsageNotCriticalTest3',
      'InvalidkeyUsageCriticalcRLSignFalseTest4', 'InvalidkeyUsageNotCriticalcRLSignFalseTest5',
    ],
  },
  '4.8': {
    title: 'Certificate Policies',
    tests: [
      'ValidCertificatePathTest1', 'AllCertificatesNoPoliciesTest2', 'DifferentPoliciesTest3', 'DifferentPoliciesTest4', 'DifferentPoliciesTest5',
      'OverlappingPoliciesTest6', 'DifferentPoliciesTest7', 'DifferentPoliciesTest8', 'DifferentPoliciesTest9', 'AllCertificatesSamePoliciesTest10',
      'AllCertificatesanyPolicyTest11', 'DifferentPoliciesTest12', 'AllCertificatesSamePoliciesTest13', 'AnyPolicyTest14', 'UserNoticeQualifierTest15',
      'UserNoticeQualifierTest16', 'UserNoticeQualifierTest17', 'UserNoticeQualifierTest18', 'UserNoticeQualifierTest19', 'CPSPointerQualifierTest20',
    ],
  },
  '4.9': {
    title: 'Require Explicit Policy',
    tests: [
      'ValidrequireExplicitPolicyTest1', 'ValidrequireExplicitPolicyTest2', 'InvalidrequireExplicitPolicyTest3', 'ValidrequireExplicitPolicyTest4',
      'InvalidrequireExplicitPolicyTest5', 'ValidSelfIssuedrequireExplicitPolicyTest6', 'InvalidSelfIssuedrequireExplicitPolicyTest7',
      'InvalidSelfIssuedrequireExplicitPolicyTest8',
    ],
  },
  '4.10': {
    title: 'Policy Mappings',
    tests: [
      'ValidPolicyMappingTest1', 'InvalidPolicyMappingTest2', 'ValidPolicyMappingTest3', 'InvalidPolicyMappingTest4', 'ValidPolicyMappingTest5',
      'ValidPolicyMappingTest6', 'InvalidMappingFromanyPolicyTest7', 'InvalidMappingToanyPolicyTest8', 'ValidPolicyMappingTest9',
      'InvalidPolicyMappingTest10', 'ValidPolicyMappingTest11', 'ValidPolicyMappingTest12', 'ValidPolicyMappingTest13', 'ValidPolicyMappingTest14',
    ],
  },
  '4.11': {
    title: 'Inhibit Policy Mapping',
    tests: [
      'InvalidinhibitPolicyMappingTest1', 'ValidinhibitPolicyMappingTest2', 'InvalidinhibitPolicyMappingTest3', 'ValidinhibitPolicyMappingTest4',
      'InvalidinhibitPolicyMappingTest5', 'InvalidinhibitPolicyMappingTest6', 'ValidSelfIssuedinhibitPolicyMappingTest7',
      'InvalidSelfIssuedinhibitPolicyMappingTest8', 'InvalidSelfIssuedinhibitPolicyMappingTest9', 'InvalidSelfIssuedinhibitPolicyMappingTest10',
      'InvalidSelfIssuedinhibitPolicyMappingTest11',
    ],
  },
  '4.12': {
    title: 'Inhibit Any Policy',
    tests: [
      'InvalidinhibitAnyPolicyTest1', 'ValidinhibitAnyPolicyTest2', 'inhibitAnyPolicyTest3', 'InvalidinhibitAnyPolicyTest4', 'InvalidinhibitAnyPolicyTest5',
      'InvalidinhibitAnyPolicyTest6', 'ValidSelfIssuedinhibitAnyPolicyTest7', 'InvalidSelfIssuedinhibitAnyPolicyTest8',
      'ValidSelfIssuedinhibitAnyPolicyTest9', 'InvalidSelfIssuedinhibitAnyPolicyTest10',
    ],
  },
  '4.13': {
    title: 'Name Constraints',
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
    title: 'Distribution Points',
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
    tests: [
      'InvaliddeltaCRLIndicatorNoBaseTest1', 'ValiddeltaCRLTest2', 'InvaliddeltaCRLTest3', 'InvaliddeltaCRLTest4', 'ValiddeltaCRLTest5',
      'InvaliddeltaCRLTest6', 'ValiddeltaCRLTest7', 'ValiddeltaCRLTest8', 'InvaliddeltaCRLTest9', 'InvaliddeltaCRLTest10',
    ],
  },
  '4.16': {
    title: 'Private Certificate Extensions',
    tests: ['ValidUnknownNotCriticalCertificateExtensionTest1', 'InvalidUnknownCriticalCertificateExtensionTest2'],
  },
};

/**
 * Tests whose names do not say Valid/Invalid: the PKITS document's outcome under the default settings
 * used here (initial-policy-set any-policy, no explicit policy, no mapping / anyPolicy inhibition).
 */
const DEFAULT_SETTINGS_OUTCOME: Record<string, boolean> = {
  AllCertificatesNoPoliciesTest2: true,
  DifferentPoliciesTest3: true,
  DifferentPoliciesTest4: false,
  DifferentPoliciesTest5: false,
  OverlappingPoliciesTest6: true,
  DifferentPoliciesTest7: false,
  DifferentPoliciesTest8: false,
  DifferentPoliciesTest9: false,
  AllCertificatesSamePoliciesTest10: true,
  AllCertificatesanyPolicyTest11: true,
  DifferentPoliciesTest12: false,
  AllCertificatesSamePoliciesTest13: true,
  AnyPolicyTest14: true,
  UserNoticeQualifierTest15: true,
  UserNoticeQualifierTest16: true,
  UserNoticeQualifierTest17: true,
  UserNoticeQualifierTest18: true,
  UserNoticeQualifierTest19: true,
  CPSPointerQualifierTest20: true,
  inhibitAnyPolicyTest3: true,
};

function run(test: string) {
  const file = `${test}EE.crt`;
  const leaf = readFileSync(join(ROOT, 'certs', file));
  return validatePath(leaf, { trustAnchors: [anchor], intermediates, crls, at: AT, purpose: 'any' });
}

const summary: { section: string; title: string; total: number; pass: number }[] = [];

for (const [section, { title, tests }] of Object.entries(SECTIONS)) {
  describe(`PKITS ${section} ${title}`, () => {
    const row = { section, title, total: tests.length, pass: 0 };
    summary.push(row);
    tests.forEach((test, i) => {
      const expectValid = DEFAULT_SETTINGS_OUTCOME[test] ?? test.startsWith('Valid');
      if (!(test in DEFAULT_SETTINGS_OUTCOME)) expect(test).toMatch(/^(Valid|Invalid)/);
      it(`${section}.${i + 1} ${test} is ${expectValid ? 'valid' : 'invalid'}`, () => {
        expect(certFiles).toContain(`${test}EE.crt`);
        const r = run(test);
        expect({ test, valid: r.valid, failures: r.failures }).toEqual({ test, valid: expectValid, failures: expectValid ? [] : expect.any(Array) });
        if (!expectValid) expect(r.failures.length).toBeGreaterThan(0);
        row.pass++;
      });
    });
  });
}

describe('PKITS coverage', () => {
  it('every end-entity certificate of PKITS is in one of the sections above', () => {
    const covered = new Set(Object.values(SECTIONS).flatMap((x) => x.tests));
    expect(certFiles.filter((f) => f.endsWith('EE.crt') && !covered.has(f.slice(0, -'EE.crt'.length)))).toEqual([]);
  });
});

describe('PKITS summary', () => {
  it('prints the coverage table', () => {
    const lines = summary.map((r) => `${r.section.padEnd(5)} ${r.title.padEnd(50)} ${r.pass}/${r.total} as expected`);
    const all = summary.reduce((a, r) => ({ total: a.total + r.total, pass: a.pass + r.pass }), { total: 0, pass: 0 });
    lines.push(`all   ${all.pass}/${all.total} as expected`);
    console.log('PKITS results\n' + lines.join('\n'));
    expect(summary.length).toBe(Object.keys(SECTIONS).length);
  });
});
