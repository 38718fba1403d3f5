/**
 * True when a file's text looks like a flow: a top-level `flows:` key. What `flows validate <dir>` and
 * `flows plan` pick up from folders, and what the pull-request plan app compares (pure: runs in a Worker).
 * @example looksLikeFlow("a.yaml", "flows: 1\nid: a\n") // true
 */
export function looksLikeFlow(file: string, text: string): boolean {
  return file.toLowerCase().endsWith(".json") ? /"flows"\s*:/.test(text) : /^flows\s*:/m.test(text);
}
