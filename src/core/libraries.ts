// The libraries that nothing drawn at start needs (IMAP, MIME parsing, sanitizing, Markdown, SMTP,
// OAuth), each loaded on its first use. VS Code activates Mailroom when the Mailboxes view is
// shown and the tree is drawn from the cache only after `activate`: compiling and evaluating these
// there, with the Node built-ins they pull in, made every start wait for code that draws nothing.
// The build puts every require() of this file into a second bundle (dist/libraries.js) that the
// extension loads with the first of them, so V8 does not even parse them at start.
// Only this file may require them as values; elsewhere they are `import type`.

function loadOnUse<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => (loaded ??= { value: load() }).value;
}

export const imapflow = loadOnUse(() => require('imapflow') as typeof import('imapflow'));

export const mailparser = loadOnUse(() => require('mailparser') as typeof import('mailparser'));

export const libmime = loadOnUse(() => require('libmime') as typeof import('libmime'));

/** libmime's charset decoding, what mailparser decodes bodies with (aliases, Japanese, no UTF-7). */
export const libmimeCharset = loadOnUse(
  () => require('libmime/lib/charset.js') as typeof import('libmime/lib/charset.js'),
);

export const libqp = loadOnUse(() => require('libqp') as { decode(text: string): Buffer });

export const sanitizeHtml = loadOnUse(() => require('sanitize-html') as typeof import('sanitize-html'));

export const markdownIt = loadOnUse(() => require('markdown-it') as typeof import('markdown-it'));

export const mailComposer = loadOnUse(
  () => (require('nodemailer/lib/mail-composer') as typeof import('nodemailer/lib/mail-composer')).default,
);

export const smtpConnection = loadOnUse(
  () => (require('nodemailer/lib/smtp-connection') as typeof import('nodemailer/lib/smtp-connection')).default,
);

export const xoauth2 = loadOnUse(
  () => (require('nodemailer/lib/xoauth2') as typeof import('nodemailer/lib/xoauth2')).default,
);

export const iconv = loadOnUse(() => require('iconv-lite') as typeof import('iconv-lite'));

export const htmlparser2 = loadOnUse(() => require('htmlparser2') as typeof import('htmlparser2'));

export const openidClient = loadOnUse(() => require('openid-client') as typeof import('openid-client'));
