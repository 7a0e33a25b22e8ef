import { CairnError } from '@cairn/core';

/** An element of the small XML documents `svn --xml` prints. */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** The element's own text (concatenated, entities decoded). */
  text: string;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name] ?? whole;
  });
}

const TOKEN = /<\?[^]*?\?>|<!--[^]*?-->|<(\/?)([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
const ATTR = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/**
 * Parses the XML svn prints for `status --xml` and `info --xml` (elements, attributes, text;
 * no DTDs, no namespaces). Throws ERR_FORMAT naming `where` on anything else.
 */
export function parseXml(text: string, where: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  let consumed = 0;
  for (const match of text.matchAll(TOKEN)) {
    if (match.index !== consumed) break;
    consumed += match[0].length;
    const [, closing, name, attrText, selfClosing, chars] = match;
    const top = stack[stack.length - 1] as XmlElement;
    if (chars !== undefined) {
      top.text += decode(chars);
    } else if (name === undefined) {
      continue; // declaration or comment
    } else if (closing === '/') {
      if (top.name !== name) throw new CairnError('ERR_FORMAT', `${where}: XML closes <${name}> inside <${top.name}>`);
      stack.pop();
    } else {
      const attrs: Record<string, string> = {};
      for (const attr of (attrText ?? '').matchAll(ATTR)) attrs[attr[1] as string] = decode(attr[2] ?? attr[3] ?? '');
      const element: XmlElement = { name, attrs, children: [], text: '' };
      top.children.push(element);
      if (selfClosing !== '/') stack.push(element);
    }
  }
  if (consumed !== text.length || stack.length !== 1) throw new CairnError('ERR_FORMAT', `${where}: XML output is malformed or cut short`);
  return root;
}

/** Every descendant of `element` named `name`, in document order. */
export function descendants(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const visit = (node: XmlElement) => {
    for (const child of node.children) {
      if (child.name === name) found.push(child);
      visit(child);
    }
  };
  visit(element);
  return found;
}

/** The first child of `element` named `name`, or undefined. */
export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((node) => node.name === name);
}
