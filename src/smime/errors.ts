// S/MIME engine errors. Pure module, no I/O.
// Every failure of the CMS/S/MIME layer surfaces as one SmimeError with a stable code, so callers
// (pipeline stages, CLI) can map it to a hold/temp-fail or an exit status without parsing text.
// Messages never carry key material or message content.

export type SmimeErrorCode =
  | 'malformed' // input is not well-formed DER/BER/MIME, or a length/nesting limit was exceeded
  | 'unsupported' // well-formed but uses an algorithm or structure we do not implement
  | 'no-recipient' // none of the RecipientInfos matches the key we were given
  | 'decrypt-failed' // decryption failed (wrong key, bad padding, bad tag); deliberately undistinguished
  | 'bad-signature' // signature value does not verify
  | 'untrusted' // path validation failed (reason in details)
  | 'invalid-input'; // caller error: bad certificate, missing key, bad option

export class SmimeError extends Error {
  readonly code: SmimeErrorCode;
  readonly details?: string[];
  constructor(code: SmimeErrorCode, message: string, details?: string[]) {
    super(message);
    this.name = 'SmimeError';
    this.code = code;
    this.details = details;
  }
}
