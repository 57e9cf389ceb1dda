// Apple configuration profile (.mobileconfig) carrying a PKCS#12 identity, so Apple Mail on iOS,
// iPadOS and macOS installs the recipient's key and certificate in one step. Pure: returns XML.
// Trust level: wraps an encrypted PKCS#12; the password is never put in the profile (the
// payload's optional Password key is left out on purpose: the device asks for it).
import { createHash } from 'node:crypto';

export interface MobileconfigInput {
  pkcs12: Buffer;
  address: string;
  organization: string;
  /** Certificate serial: makes identifiers unique and stable for the same certificate. */
  serial: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A name-based UUID (SHA-256, shaped as version 8) so the same certificate gives the same profile ids. */
function stableUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\0')).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex').toUpperCase();
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const reverseDns = (address: string) => address.slice(address.lastIndexOf('@') + 1).split('.').reverse().join('.');

/** XML plist: a Configuration profile with one com.apple.security.pkcs12 payload. */
export function buildMobileconfig(i: MobileconfigInput): Buffer {
  const base = `${reverseDns(i.address)}.sealgate.smime.${i.serial}`;
  const b64 = i.pkcs12.toString('base64').replace(/(.{68})/g, '$1\n\t\t\t');
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>PayloadContent</key>
	<array>
		<dict>
			<key>PayloadCertificateFileName</key>
			<string>${esc(i.address)}.p12</string>
			<key>PayloadContent</key>
			<data>
			${b64}
			</data>
			<key>PayloadDescription</key>
			<string>Secure email certificate and private key for ${esc(i.address)}</string>
			<key>PayloadDisplayName</key>
			<string>${esc(i.address)}</string>
			<key>PayloadIdentifier</key>
			<string>${esc(base)}.pkcs12</string>
			<key>PayloadType</key>
			<string>com.apple.security.pkcs12</string>
			<key>PayloadUUID</key>
			<string>${stableUuid(base, 'pkcs12')}</string>
			<key>PayloadVersion</key>
			<integer>1</integer>
		</dict>
	</array>
	<key>PayloadDescription</key>
	<string>Installs the certificate ${esc(i.organization)} issued so you can read its encrypted email to ${esc(i.address)}. The password comes separately from the sender.</string>
	<key>PayloadDisplayName</key>
	<string>Secure email from ${esc(i.organization)}</string>
	<key>PayloadIdentifier</key>
	<string>${esc(base)}</string>
	<key>PayloadOrganization</key>
	<string>${esc(i.organization)}</string>
	<key>PayloadRemovalDisallowed</key>
	<false/>
	<key>PayloadType</key>
	<string>Configuration</string>
	<key>PayloadUUID</key>
	<string>${stableUuid(base)}</string>
	<key>PayloadVersion</key>
	<integer>1</integer>
</dict>
</plist>
`;
  return Buffer.from(xml, 'utf8');
}
