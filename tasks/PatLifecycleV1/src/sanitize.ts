/**
 * Text that came from a service (display names, error messages) is printed to the pipeline log. The agent
 * treats `##vso[...]` anywhere in a line, and `##[...]` at its start, as commands. Neutralise both, and fold
 * line breaks so that no text can start a line of its own.
 */
export function neutralize(text: string | number | null | undefined): string {
  return String(text ?? '')
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/##(?=(vso)?\[)/gi, '#\u2060#');
}

/** Keeps API text short in messages. */
export function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
