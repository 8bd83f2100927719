// Writing mail: the composer document, reply/forward derivation, building, SMTP submission,
// Sent and Drafts on the server, address completion.
export {
  formatAddress,
  formatAddressList,
  isMailbox,
  matchesAddress,
  parseAddressList,
  parseMailbox,
  type AddressProblem,
  type MailAddress,
} from './addresses';
export { attachFileSize, imapPartFetcher, type PartFetcher, type ResolvedAttachment } from './attachments';
export { buildMessage, newMessageId, type BodyFormat, type BuiltMessage, type OutgoingMessage } from './build';
export { checkComposer, estimateMessageSize, type CheckEnvironment } from './checks';
export {
  AddressIndex,
  parseAddressBookOutput,
  runAddressBook,
  type AddressBookOptions,
  type AddressCandidate,
  type SeenEnvelope,
} from './completion';
export { newContext, type ComposeContext, type ComposeKind, type PartSource } from './context';
export {
  attachRef,
  formatComposer,
  HEADER_NAMES,
  parseComposer,
  type AttachSpec,
  type ComposerDocument,
  type ComposerFields,
  type ComposerProblem,
  type ProblemSeverity,
  type TextRange,
} from './document';
export { openDraft, type OpenedDraft } from './draft-read';
export { decodeFlowed, encodeFlowed } from './flowed';
export { identityOf, isOwnAddress, type Identity } from './identity';
export { type DraftSaved, type FolderChoice, type SentCopy } from './mailstore';
export {
  deriveForward,
  deriveReply,
  forwardSubject,
  replyReferences,
  replySubject,
  type ComposeSeed,
  type DeriveOptions,
  type ForwardAs,
  type ReplyMode,
} from './reply';
export {
  checkMessage,
  discardDraft,
  retrySentCopy,
  saveDraft,
  sendMessage,
  type ComposeAccount,
  type ComposeRequest,
  type DraftRemoval,
  type FlagOutcome,
  type SendOutcome,
} from './send';
export {
  probeSmtp,
  smtpCredentialsFrom,
  type SmtpCredentialsProvider,
  type SmtpProbe,
  type SubmitReceipt,
} from './smtp';
export { listPostAddress, parseMailto, type MailtoFields } from './mailto';
