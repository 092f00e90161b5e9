/**
 * Plain values → YAML text that reads well and never changes between runs: keys in the order they were
 * built, no line folding, and comments (wrapped) above the keys they explain.
 */
import { Document, isMap, isScalar, type Node, parse, Scalar, visit } from 'yaml';

const WRAP = 110;

/**
 * Splits prose into lines of at most WRAP characters (a word longer than that stays whole). A paragraph indented by two
 * spaces is a command, kept on its one line: wrapped, `… | kubectl` and `apply -f -` stood on two lines, and the first
 * line copied piped the file into a bare kubectl.
 */
export function wrap(text: string): string {
  return text
    .split('\n')
    .map((para) => {
      if (para.startsWith('  ')) return ` ${para}`;
      const lines: string[] = [];
      let line = '';
      for (const word of para.split(/\s+/).filter(Boolean)) {
        if (line && line.length + 1 + word.length > WRAP) {
          lines.push(line);
          line = word;
        } else line = line ? `${line} ${word}` : word;
      }
      lines.push(line);
      return lines.map((l) => ` ${l}`).join('\n');
    })
    .join('\n');
}

/** One YAML document; `comments` maps dotted key paths (`spec.connection.bufferLimit`) to text. */
export function renderDocument(value: unknown, comments: Record<string, string> = {}, header?: string): string {
  // kubectl reads YAML as 1.1 does (sigs.k8s.io/yaml, over go-yaml v2): `on`, `no`, `y` are booleans there, `0b101` and
  // `1_000` numbers, a date a timestamp. Written plain, as 1.2 allows, a header match on `x-debug: on` made kubectl
  // refuse the whole AIGatewayRoute (a boolean where a string goes). The 1.1 schema quotes those; what 1.2 alone reads
  // otherwise (`0o7`) is quoted below, so both readers get the strings written.
  const doc = new Document(value, { aliasDuplicateObjects: false, schema: 'yaml-1.1' });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && readAsOther(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  if (header) doc.commentBefore = wrap(header);
  for (const [path, text] of Object.entries(comments)) {
    const keys = path.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    const last = keys.pop()!;
    const parent = keys.length ? (doc.getIn(keys, true) as Node | undefined) : doc.contents;
    if (!isMap(parent)) continue;
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
    if (pair && isScalar(pair.key)) pair.key.commentBefore = wrap(text);
  }
  return doc.toString({ lineWidth: 0, minContentWidth: 0 });
}

/** Whether YAML 1.2 reads this text, written plain, as other than this string (a number, a boolean, null). */
function readAsOther(text: string): boolean {
  if (text === '' || !/^[-+.0-9~nNtTfF]/.test(text)) return false;
  try {
    return typeof parse(text, { schema: 'core' }) !== 'string';
  } catch {
    return false;
  }
}

/** Several documents as one multi-document stream (`---` between them). */
export function renderStream(docs: readonly string[]): string {
  return docs.map((d, i) => (i === 0 ? d : `---\n${d}`)).join('');
}
