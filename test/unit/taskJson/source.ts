/**
 * Facts about the task's source, read with the TypeScript parser (no type checking): the inputs it reads and the
 * outputs it sets. Message keys need no such reading: `loc` is typed from task.json (messages.generated.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { SRC_DIR } from './lint';

/** Task-lib's functions that read an input by name, anywhere in the source. */
const TASK_LIB_INPUT_READERS = new Set(['getInput', 'getInputRequired', 'getBoolInput', 'getPathInput', 'getPathInputRequired', 'getDelimitedInput']);
/** params.ts's Reader methods that take an input name first. */
const PARAM_READERS = new Set(['raw', 'integer', 'bool', 'choice', 'date', 'url', 'optional', 'required', 'secret', 'list']);

/** The task's source files, parsed once, and every call in them. */
const allCalls = (() => {
  const files = (fs.readdirSync(SRC_DIR, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ts.createSourceFile(path.basename(f), fs.readFileSync(path.join(SRC_DIR, f), 'utf8'), ts.ScriptTarget.ES2022, true));
  return files.flatMap((file) => nodes(file).filter(ts.isCallExpression));
})();

/** Inputs read by name: task-lib's getters anywhere, `readInput('x')`, and params.ts's Reader methods. */
export function inputsRead(): { name: string; at: string }[] {
  return allCalls.flatMap((call) => {
    const name = callee(call);
    const method = name.split('.').pop()!;
    const reads =
      (name.startsWith('tl.') && TASK_LIB_INPUT_READERS.has(method)) ||
      name === 'readInput' ||
      (call.getSourceFile().fileName === 'params.ts' && name.includes('.') && PARAM_READERS.has(method));
    const first = call.arguments[0];
    return reads && first !== undefined && ts.isStringLiteralLike(first) ? [{ name: first.text, at: at(call) }] : [];
  });
}

/** Output variables set with a literal name (`tl.setVariable('X', …)`); OUTPUT covers the rest. */
export function outputsSet(): string[] {
  return allCalls
    .filter((c) => callee(c) === 'tl.setVariable' && c.arguments[0] && ts.isStringLiteralLike(c.arguments[0]))
    .map((c) => (c.arguments[0] as ts.StringLiteral).text);
}

/** `tl.setVariable`, `this.parsed`, `p.required`, `readInput`: the callee as written, for identifiers and property accesses. */
function callee(call: ts.CallExpression): string {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e))
    return `${ts.isIdentifier(e.expression) ? e.expression.text : e.expression.kind === ts.SyntaxKind.ThisKeyword ? 'this' : '?'}.${e.name.text}`;
  return '';
}

function nodes(root: ts.Node): ts.Node[] {
  const found: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    found.push(node);
    ts.forEachChild(node, visit);
  };
  visit(root);
  return found;
}

function at(node: ts.Node): string {
  const file = node.getSourceFile();
  return `src/${file.fileName}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
}
