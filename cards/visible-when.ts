/**
 * The tiny expression language of `visibleWhen`: the same conditions a template author sets as visibility rules
 * in DingTalk's card builder, written down so the sandbox can apply them too.
 *
 *   expr := and ("||" and)*      and := unary ("&&" unary)*      unary := "!" unary | "(" expr ")" | test
 *   test := name | name ("==" | "!=") 'text'
 *
 * A bare name is true unless its value is missing, "", "false" or "0" (how booleans are encoded on cards).
 */

export type VisibleWhenNode =
  | { kind: "truthy"; name: string }
  | { kind: "compare"; name: string; op: "==" | "!="; value: string }
  | { kind: "not"; operand: VisibleWhenNode }
  | { kind: "and" | "or"; left: VisibleWhenNode; right: VisibleWhenNode };

type Token = { kind: "name" | "text" | "op"; value: string };

const TOKEN = /\s*(?:([A-Za-z_]\w*)|'([^']*)'|(==|!=|&&|\|\||!|\(|\)))/y;

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length && expr.slice(TOKEN.lastIndex).trim() !== "") {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(expr);
    if (!m) throw new SyntaxError(`visibleWhen: unexpected input at ${at} in ${JSON.stringify(expr)}`);
    if (m[1] !== undefined) tokens.push({ kind: "name", value: m[1] });
    else if (m[2] !== undefined) tokens.push({ kind: "text", value: m[2] });
    else tokens.push({ kind: "op", value: m[3] ?? "" });
  }
  return tokens;
}

/** Parses an expression; throws a SyntaxError naming the expression when it is malformed. */
export function parseVisibleWhen(expr: string): VisibleWhenNode {
  const tokens = tokenize(expr);
  let pos = 0;
  const fail = (): never => {
    throw new SyntaxError(`visibleWhen: unexpected ${tokens[pos]?.value ?? "end"} in ${JSON.stringify(expr)}`);
  };
  const accept = (op: string): boolean => {
    if (tokens[pos]?.kind !== "op" || tokens[pos]?.value !== op) return false;
    pos++;
    return true;
  };
  const binary = (kind: "and" | "or", op: string, next: () => VisibleWhenNode) => (): VisibleWhenNode => {
    let left = next();
    while (accept(op)) left = { kind, left, right: next() };
    return left;
  };
  const unary = (): VisibleWhenNode => {
    if (accept("!")) return { kind: "not", operand: unary() };
    if (accept("(")) {
      const inner = or();
      return accept(")") ? inner : fail();
    }
    const name = tokens[pos];
    if (name?.kind !== "name") return fail();
    pos++;
    const op = accept("==") ? "==" : accept("!=") ? "!=" : undefined;
    if (op === undefined) return { kind: "truthy", name: name.value };
    const text = tokens[pos++];
    return text?.kind === "text" ? { kind: "compare", name: name.value, op, value: text.value } : fail();
  };
  const and = binary("and", "&&", unary);
  const or = binary("or", "||", and);
  const tree = or();
  return pos === tokens.length ? tree : fail();
}

function evaluate(node: VisibleWhenNode, vars: Readonly<Record<string, string>>): boolean {
  switch (node.kind) {
    case "truthy": {
      const value = vars[node.name];
      return value !== undefined && value !== "" && value !== "false" && value !== "0";
    }
    case "compare":
      return ((vars[node.name] ?? "") === node.value) === (node.op === "==");
    case "not":
      return !evaluate(node.operand, vars);
    case "and":
      return evaluate(node.left, vars) && evaluate(node.right, vars);
    case "or":
      return evaluate(node.left, vars) || evaluate(node.right, vars);
  }
}

/** True when the condition holds for these (string-encoded) variables; a missing condition always holds. */
export function evaluateVisibleWhen(expr: string | undefined, vars: Readonly<Record<string, string>>): boolean {
  return expr === undefined || evaluate(parseVisibleWhen(expr), vars);
}

/** The variable names an expression refers to (for checking definitions against their declared variables). */
export function visibleWhenVariables(expr: string): string[] {
  const names = new Set<string>();
  const walk = (node: VisibleWhenNode): void => {
    if (node.kind === "truthy" || node.kind === "compare") names.add(node.name);
    else if (node.kind === "not") walk(node.operand);
    else {
      walk(node.left);
      walk(node.right);
    }
  };
  walk(parseVisibleWhen(expr));
  return [...names];
}
