/**
 * ZPL (ZeroMQ RFC 4), the text format of ZeroMQ certificate files, read liberally and written strictly.
 *
 * Reading accepts what czmq (`zconfig`) and pyzmq (`zmq.auth`) write and a little more: `#` comments on their own line
 * or after a value, any indentation (a tab counts as four spaces; a line indented deeper than the one before it is that
 * line's child), values double-quoted, single-quoted or bare (pyzmq writes metadata values bare), CRLF line ends and a
 * byte-order mark. Writing emits four-space indentation and double-quoted values, as czmq does.
 */

/** One line of a ZPL tree: a name, an optional value, and the lines indented under it. */
export interface ZplNode {
  readonly name: string;
  readonly value: string | undefined;
  readonly children: ZplNode[];
  /** 1-based line number in the text, for error messages. */
  readonly line: number;
}

/** Text that cannot be read as ZPL; `line` is 1-based. */
export class ZplSyntaxError extends Error {
  override readonly name = 'ZplSyntaxError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${String(line)}: ${message}`);
  }
}

interface Open {
  readonly indent: number;
  readonly node: ZplNode;
}

/** Parses ZPL text into its top-level nodes. Throws ZplSyntaxError for a line it cannot read. */
export function parseZpl(text: string): ZplNode[] {
  const roots: ZplNode[] = [];
  // The chain of open ancestors of the next line, outermost first.
  const stack: Open[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const expanded = raw.replace(/\t/g, '    ');
    const content = expanded.trimStart();
    if (content === '' || content.startsWith('#')) return;
    const indent = expanded.length - content.length;
    const node = parseLine(content.trimEnd(), lineNo);
    while ((stack.at(-1)?.indent ?? -1) >= indent) stack.pop();
    const parent = stack.at(-1);
    (parent === undefined ? roots : parent.node.children).push(node);
    stack.push({ indent, node });
  });
  return roots;
}

function parseLine(content: string, line: number): ZplNode {
  const eq = content.indexOf('=');
  if (eq < 0) {
    // A bare name (a section such as `curve`), perhaps followed by a comment.
    const name = content.replace(/\s+#.*$/, '').trim();
    if (/\s/.test(name)) throw new ZplSyntaxError(`a name has no spaces: ${name}`, line);
    return { name, value: undefined, children: [], line };
  }
  const name = content.slice(0, eq).trim();
  if (name === '') throw new ZplSyntaxError('a setting has no name before "="', line);
  if (/\s/.test(name)) throw new ZplSyntaxError(`a name has no spaces: ${name}`, line);
  return { name, value: parseValue(content.slice(eq + 1).trim(), line), children: [], line };
}

function parseValue(rest: string, line: number): string {
  const quote = rest[0];
  if (quote === '"' || quote === "'") {
    const end = rest.indexOf(quote, 1);
    if (end < 0) throw new ZplSyntaxError(`a value opened with ${quote} is never closed`, line);
    const after = rest.slice(end + 1).trim();
    if (after !== '' && !after.startsWith('#')) {
      throw new ZplSyntaxError(`text after a quoted value: ${after}`, line);
    }
    return rest.slice(1, end);
  }
  // A bare value runs to the end of the line or to a comment that follows whitespace.
  return rest.replace(/\s+#.*$/, '').trim();
}

/** The first node named `name` among `nodes`, or undefined. */
export function zplChild(nodes: readonly ZplNode[], name: string): ZplNode | undefined {
  return nodes.find((node) => node.name === name);
}

/** The first node named `name` anywhere in the tree, depth first. */
export function zplFind(nodes: readonly ZplNode[], name: string): ZplNode | undefined {
  for (const node of nodes) {
    if (node.name === name) return node;
    const below = zplFind(node.children, name);
    if (below !== undefined) return below;
  }
  return undefined;
}

/** Every node with a value among `nodes` and below them, depth first. */
export function zplSettings(nodes: readonly ZplNode[]): (ZplNode & { readonly value: string })[] {
  return nodes.flatMap((node) => [
    ...(node.value === undefined ? [] : [{ ...node, value: node.value }]),
    ...zplSettings(node.children),
  ]);
}

/** Characters ZPL allows in a name. */
export const ZPL_NAME = /^[A-Za-z0-9$\-_@.&+/]+$/;

/**
 * A value as ZPL text: double-quoted, or single-quoted when it holds a double quote. Returns undefined for a value ZPL
 * cannot carry (both quote characters, or a line break or other control character).
 */
export function quoteZplValue(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
  if (/[\u0000-\u001f\u007f]/.test(value)) return undefined;
  if (!value.includes('"')) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  return undefined;
}
