/** Code in a URL fragment: UTF-8, base64url (no padding), so a link carries any program intact. */
export function encodeCode(code: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(code)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The program in a `#code=` fragment, or null when it does not decode. */
export function decodeCode(encoded: string): string | null {
  try {
    const bin = atob(encoded.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}
