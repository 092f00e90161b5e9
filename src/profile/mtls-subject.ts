/** The subject an mtls rule names (`tenants.X.mtls.subject`), parsed: validation and the auth stage read it alike. */

/** `CN=acme-gw, O=Acme` → [['cn','acme-gw'], ['o','Acme']] (attribute names lower-cased); undefined if malformed. */
export function parseSubject(text: string): [string, string][] | undefined {
  const pairs: [string, string][] = [];
  let current = '';
  const flush = (): boolean => {
    const eq = current.indexOf('=');
    if (eq <= 0) return false;
    const name = current.slice(0, eq).trim().toLowerCase();
    const value = current.slice(eq + 1).trim();
    if (!/^[a-z][a-z0-9.-]*$/.test(name) || value === '') return false;
    pairs.push([name, value]);
    current = '';
    return true;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) current += text[++i];
    else if (c === ',') {
      if (!flush()) return undefined;
    } else current += c;
  }
  if (!flush()) return undefined;
  return pairs;
}
