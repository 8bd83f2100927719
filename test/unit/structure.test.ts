import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageStructureObject } from 'imapflow';
import { hasAttachments, planMessage } from '../../src/core/structure';

const leaf = (part: string, type: string, extra: Partial<MessageStructureObject> = {}): MessageStructureObject =>
  ({ part, type, size: 100, encoding: '7bit', parameters: { charset: 'utf-8' }, ...extra });

test('a single text/plain message is its own body', () => {
  const plan = planMessage({ type: 'text/plain', size: 10, parameters: { charset: 'us-ascii' } });
  assert.equal(plan.text?.part, '1');
  assert.equal(plan.html, undefined);
  assert.equal(plan.attachments.length, 0);
});

test('alternative: html and text chosen, nothing listed as attachment', () => {
  const plan = planMessage({ type: 'multipart/alternative', childNodes: [leaf('1', 'text/plain'), leaf('2', 'text/html')] });
  assert.equal(plan.text?.part, '1');
  assert.equal(plan.html?.part, '2');
  assert.deepEqual(plan.attachments, []);
});

test('mixed with related html + cid image + attachments (incl. an attached message)', () => {
  const root: MessageStructureObject = {
    type: 'multipart/mixed',
    childNodes: [
      {
        part: '1', type: 'multipart/alternative', childNodes: [
          leaf('1.1', 'text/plain'),
          { part: '1.2', type: 'multipart/related', childNodes: [leaf('1.2.1', 'text/html'), leaf('1.2.2', 'image/png', { id: '<logo@x>', encoding: 'base64', disposition: 'inline' })] },
        ],
      },
      leaf('2', 'application/pdf', { disposition: 'attachment', dispositionParameters: { filename: 'r.pdf' } }),
      leaf('3', 'message/rfc822', { envelope: { subject: 'Fwd' } }),
      leaf('4', 'text/plain', { disposition: 'attachment', dispositionParameters: { filename: 'notes.txt' } }),
    ],
  };
  const plan = planMessage(root);
  assert.equal(plan.html?.part, '1.2.1');
  assert.equal(plan.text?.part, '1.1');
  assert.deepEqual(plan.inline.map((p) => [p.part, p.contentId]), [['1.2.2', 'logo@x']]);
  assert.deepEqual(plan.attachments.map((p) => [p.part, p.filename]), [['2', 'r.pdf'], ['3', 'Fwd.eml'], ['4', 'notes.txt']]);
  assert.equal(hasAttachments(root), true);
});

test('absurd nesting is cut off instead of recursing forever', () => {
  let node: MessageStructureObject = leaf('1', 'text/plain');
  for (let i = 0; i < 5000; i++) node = { type: 'multipart/mixed', part: String(i), childNodes: [node] };
  const plan = planMessage(node);
  assert.equal(plan.text, undefined);
});
