/**
 * Text that came from a service or from the agent's settings (display names, error messages) is printed to the
 * pipeline log. Two things matter there:
 *
 * - The agent runs a logging command wherever `##vso[` occurs in a line of the task's output. It finds the prefix
 *   with .NET's culture-sensitive `string.IndexOf` (agent `Command.TryParse`), which under ICU skips ignorable
 *   characters: `#\u2060#vso[` is found as `##vso[`. So a neutralisation must be visible to ICU: `neutralize` puts
 *   a space between the two `#`, whatever invisible characters stood between them.
 * - The agent itself never parses `##[`; only the web log viewer formats a line that starts with `##[...]` (as an
 *   error, a warning, a section). Line breaks are folded so that no API text can start a line, and `##[` gets the
 *   same visible space, as a PAT line starts with the PAT's name.
 */

/**
 * Characters the command search may skip: default-ignorable code points, format (Cf) characters, and control
 * characters (completely ignorable in ICU's root collation). Wider than ICU's set, never narrower.
 */
const IGNORABLE = '[\\p{Default_Ignorable_Code_Point}\\p{Cf}\\p{Cc}]*';
const COMMAND_PREFIX = new RegExp(`#${IGNORABLE}#(?=${IGNORABLE}(?:v${IGNORABLE}s${IGNORABLE}o${IGNORABLE})?\\[)`, 'giu');

export function neutralize(text: string | number | null | undefined): string {
  return String(text ?? '')
    .replace(/[\r\n\u2028\u2029\u0085\v\f]+/g, ' ')
    .replace(COMMAND_PREFIX, '# #');
}

/**
 * Secrets the task knows of (registered with the agent). The agent masks only whole occurrences: a message clipped in
 * the middle of a secret would show its first part. `clip` redacts them before it cuts.
 */
const secrets = new Set<string>();

export function rememberSecret(value: string): void {
  if (value !== '') secrets.add(value);
}

/** Replaces every known secret in the text with `***`, longest first. */
export function redact(text: string): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
  return out;
}

/** Keeps text short in messages, known secrets redacted first so that a cut never leaves part of one. */
export function clip(text: string, max = 300): string {
  const safe = redact(text);
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}

/** The password in a URL's user information, as written and decoded. */
export function proxyUrlPassword(url: string): string[] {
  let written: string | undefined;
  try {
    written = new URL(url).password || undefined;
  } catch {
    written = /^[^:/?#]+:\/\/[^/?#]*?:([^/?#]*)@/.exec(url)?.[1] || undefined;
  }
  if (!written) return [];
  let decoded = written;
  try {
    decoded = decodeURIComponent(written);
  } catch {
    // not percent-encoded
  }
  return decoded === written ? [written] : [written, decoded];
}
