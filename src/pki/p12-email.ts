// The email that brings an external recipient their new certificate: plain-language instructions
// for Outlook, Apple Mail, Thunderbird and Gmail, with the PKCS#12 file and an Apple configuration
// profile attached. Pure: returns RFC 5322 bytes (CRLF); queueing and delivery are the caller's.
// Trust level: carries the encrypted PKCS#12, never its password (the password reaches the
// recipient through the sending organization, by another channel).
import { randomBytes } from 'node:crypto';

export interface Pkcs12EmailInput {
  /** Envelope-independent From: address of the organization (e.g. postmaster@hospital.example). */
  from: string;
  to: string;
  organization: string;
  /** Original sender's address, named so the recipient knows whom to ask for the password. */
  requestedBy?: string;
  pkcs12: Buffer;
  mobileconfig: Buffer;
  /** Certificate validity end, shown to the recipient. */
  notAfter: Date;
  /** Host name for the Message-ID. */
  hostname: string;
  date?: Date;
}

const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').trim();

/** RFC 2047 encoded-word when the text is not plain ASCII. */
function headerText(s: string): string {
  const t = oneLine(s);
  return /^[\x20-\x7e]*$/.test(t) ? t : `=?UTF-8?B?${Buffer.from(t, 'utf8').toString('base64')}?=`;
}

const b64lines = (b: Buffer) => b.toString('base64').replace(/(.{76})/g, '$1\r\n').replace(/\r\n$/, '');

function wrap(text: string, width = 72): string {
  return text
    .split('\n')
    .map((para) => {
      if (para.length <= width) return para;
      const indent = /^(\s*(?:\d+\.|-)?\s*)/.exec(para)![1]!.replace(/\S/g, ' ');
      const words = para.split(' ');
      const lines: string[] = [];
      let cur = '';
      for (const w of words) {
        if (cur && (cur + ' ' + w).length > width) {
          lines.push(cur);
          cur = indent + w;
        } else cur = cur ? `${cur} ${w}` : w;
      }
      if (cur) lines.push(cur);
      return lines.join('\n');
    })
    .join('\n');
}

/** The instructions (plain text). Exported for the web console and tests. */
export function pkcs12Instructions(i: Pick<Pkcs12EmailInput, 'to' | 'organization' | 'requestedBy' | 'notAfter'>): string {
  const org = oneLine(i.organization);
  const who = i.requestedBy ? `${oneLine(i.requestedBy)} at ${org}` : org;
  const until = i.notAfter.toISOString().slice(0, 10);
  const file = `${i.to}.p12`;
  return wrap(`Hello,

${who} wants to send you email that contains confidential information, such as health information. To protect it, ${org} encrypts that email. This message gives you the key to read it: a personal certificate for ${i.to}, valid until ${until}.

What you need to do once:
1. Get the password. For your protection it is NOT in this email. Ask ${who} for it by telephone or in person.
2. Install the attached file ${file} (your certificate and private key) in your email program, as described below. When asked for a password, type the one you were given (letters and digits in groups, dashes included).
3. After that, encrypted messages from ${org} open in your email program like any other message.

Outlook (Windows): double-click ${file}, choose "Current User", type the password, keep the other settings and finish. Then in Outlook open File > Options > Trust Center > Trust Center Settings > Email Security, click Settings and choose the certificate for ${i.to}.

Apple Mail (iPhone, iPad, Mac): open the attachment ${i.to}.mobileconfig and install the profile (on iPhone and iPad: Settings > General > VPN & Device Management, or "Profile Downloaded" at the top of Settings). Type the password when asked. On a Mac you can also double-click ${file} to add it to the login keychain. Mail then opens encrypted messages by itself.

Thunderbird: open Settings > Privacy & Security > Certificates > Manage Certificates > Your Certificates > Import, choose ${file} and type the password. Then under Account Settings > End-To-End Encryption choose the certificate for S/MIME.

Gmail: a personal gmail.com account cannot open these messages in a web browser; read them with one of the programs above instead (for example Apple Mail on a phone, or Thunderbird with your Gmail account on a computer). With Google Workspace, if your administrator has turned on S/MIME, you can upload ${file} with the password in Gmail settings (Accounts, "Send mail as", edit info, upload a personal certificate), or ask your administrator to.

Keep ${file} and the password private: anyone who has both can read your encrypted email. If you lose them, or believe someone else has them, tell ${who}.

If you did not expect this message, you can ignore it; nothing is installed unless you install it.

${org}`);
}

/** The complete message (RFC 5322, CRLF line ends, 7-bit). */
export function buildPkcs12Email(i: Pkcs12EmailInput): Buffer {
  const date = i.date ?? new Date();
  const boundary = `=_sg_${randomBytes(12).toString('hex')}`;
  const text = pkcs12Instructions(i).replace(/\r?\n/g, '\r\n');
  const ascii = /^[\x00-\x7f]*$/.test(text);
  const to = oneLine(i.to);
  const parts = [
    `From: ${headerText(i.organization)} <${oneLine(i.from)}>`,
    `To: <${to}>`,
    `Subject: ${headerText(`Your secure email certificate from ${i.organization}`)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${oneLine(i.hostname)}>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    'This is a message in MIME format.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${ascii ? '7bit' : 'base64'}`,
    '',
    ascii ? text : b64lines(Buffer.from(text, 'utf8')),
    '',
    `--${boundary}`,
    `Content-Type: application/pkcs12;\r\n name="${to}.p12"`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment;\r\n filename="${to}.p12"`,
    '',
    b64lines(i.pkcs12),
    '',
    `--${boundary}`,
    `Content-Type: application/x-apple-aspen-config;\r\n name="${to}.mobileconfig"`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment;\r\n filename="${to}.mobileconfig"`,
    '',
    b64lines(i.mobileconfig),
    '',
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(parts.join('\r\n'), 'utf8');
}
