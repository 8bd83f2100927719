// The checks the composer shows as diagnostics and Send runs first. Parsing problems come from
// the document itself; these add what needs the outside world (does the file exist, what does the
// server accept) or judgement (an empty subject, "attached" with nothing attached).
import { type ComposerDocument, type ComposerProblem, recipientsOf, type TextRange } from './document';

export interface CheckEnvironment {
  /** Size in bytes of an `Attach:` file, or undefined when it does not exist (or is no file). */
  fileSize(path: string): Promise<number | undefined> | number | undefined;
  /** Sizes of the context's parts, by `#n` id (forwarded attachments, a resumed draft's). */
  refSizes?: ReadonlyMap<number, number>;
  /** The server's EHLO SIZE, when known. */
  maxSize?: number;
}

// Words that say something is attached, outside quoted text (English, German, French, Spanish, Dutch).
const MENTIONS_ATTACHMENT =
  /\b(attach(ed|ment|ments|ing)?|enclosed|anbei|angeh[äa]ngt|anhang|pi[èe]ces? jointes?|ci-joint|adjunto|adjunta|bijlage)\b/i;

/** Base64 grows data by 4/3 plus line breaks; text goes twice (plain + HTML). */
export function estimateMessageSize(bodyLength: number, attachmentBytes: number): number {
  return Math.ceil(attachmentBytes * 1.37) + bodyLength * 3 + 2048;
}

/** Where the body itself (not a quote, attribution or signature) says something is attached. */
function attachmentMention(body: string): { line: number; column: number; word: string } | undefined {
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === '-- ') return undefined; // the signature and what follows are not this message's text
    if (/^\s*>/.test(l) || /^On .+ wrote:$/.test(l) || /^-{5,} Forwarded message -{5,}$/.test(l)) continue;
    const m = MENTIONS_ATTACHMENT.exec(l);
    if (m) return { line: i, column: m.index, word: m[0] };
  }
  return undefined;
}

export async function checkComposer(doc: ComposerDocument, env: CheckEnvironment): Promise<ComposerProblem[]> {
  const problems = [...doc.problems];
  const top: TextRange = { line: 0, startColumn: 0, endColumn: 1 };
  if (recipientsOf(doc).length === 0 && !problems.some((p) => p.code === 'badAddress')) {
    problems.push({
      severity: 'error',
      code: 'noRecipient',
      range: doc.to.ranges[0] ?? top,
      message: 'No recipient: add an address to To, Cc or Bcc.',
    });
  }
  if (!doc.subject.trim()) {
    problems.push({
      severity: 'warning',
      code: 'emptySubject',
      range: doc.subjectRange ?? top,
      message: 'The subject is empty.',
    });
  }
  let attachmentBytes = 0;
  for (const a of doc.attach) {
    if (a.kind === 'file') {
      const size = await env.fileSize(a.path);
      if (size === undefined) {
        problems.push({
          severity: 'error',
          code: 'attachmentMissing',
          range: a.range,
          message: `There is no file "${a.path}" to attach.`,
        });
      } else {
        attachmentBytes += size;
      }
    } else {
      const size = env.refSizes?.get(a.id);
      if (size === undefined) {
        problems.push({
          severity: 'error',
          code: 'attachmentUnknown',
          range: a.range,
          message: `Attachment #${a.id} is not part of this message any more; remove the line or attach a file.`,
        });
      } else {
        attachmentBytes += size;
      }
    }
  }
  if (doc.attach.length === 0) {
    const m = attachmentMention(doc.body);
    if (m) {
      problems.push({
        severity: 'warning',
        code: 'forgotAttachment',
        range: { line: doc.bodyLine + m.line, startColumn: m.column, endColumn: m.column + m.word.length },
        message: `The message says "${m.word}" but nothing is attached.`,
      });
    }
  }
  if (env.maxSize) {
    const estimate = estimateMessageSize(Buffer.byteLength(doc.body, 'utf8'), attachmentBytes);
    if (estimate > env.maxSize) {
      const range = doc.attach[doc.attach.length - 1]?.range ?? top;
      problems.push({
        severity: 'error',
        code: 'tooLarge',
        range,
        message: `The message would be about ${megabytes(estimate)}, more than the ${megabytes(env.maxSize)} the server accepts.`,
      });
    }
  }
  return problems;
}

export function megabytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

export const hasErrors = (problems: readonly ComposerProblem[]): boolean =>
  problems.some((p) => p.severity === 'error');
