/**
 * Every relative link in the user documentation points at a file of the repository, and every `#anchor` at a
 * heading of that file (GitHub's anchor form: lower case, punctuation dropped, spaces to hyphens).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';

const DOCS = [
  'README.md',
  'overview.md',
  'CONTRIBUTING.md',
  'cli/README.md',
  'emulator/README.md',
  ...fs
    .readdirSync(path.join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

function anchors(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set(
    [...text.matchAll(/^#{1,6} +(.+)$/gm)].map((m) =>
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe('documentation links', () => {
  for (const doc of DOCS) {
    it(`${doc}: every relative link and anchor resolves`, () => {
      const file = path.join(repoRoot, doc);
      const text = fs.readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
      const problems: string[] = [];
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1];
        if (/^[a-z]+:/i.test(target)) continue;
        const [rel, anchor] = target.split('#');
        const resolved = rel === '' ? file : path.resolve(path.dirname(file), rel);
        if (!fs.existsSync(resolved)) problems.push(`${target}: no such file`);
        else if (anchor && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) problems.push(`${target}: no heading #${anchor}`);
      }
      assert.deepEqual(problems, []);
    });
  }
});
