// Libraries that nothing on screen at start needs (MIME parsing, sanitizing, Markdown, SMTP,
// OAuth) are evaluated on their first use instead of when the bundle loads. VS Code activates the
// extension when the Mailboxes view is shown, and the tree is drawn from the cache only after
// `activate`: evaluating these there, with the Node built-ins they pull in, made every start wait
// for code that draws nothing. esbuild still bundles them; a bundled require() runs its module on
// the first call.
export function loadOnUse<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => (loaded ??= { value: load() }).value;
}
