import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageStructureObject } from 'imapflow';
import {
  hasAttachments,
  MAX_BODY_PARTS,
  MAX_DEPTH,
  MAX_INLINE_PARTS,
  planMessage,
} from '../../src/core/reading/structure';

const leaf = (part: string, type: string, extra: Partial<MessageStructureObject> = {}): MessageStructureObject => ({
  part,
  type,
  size: 100,
  encoding: '7bit',
  parameters: { charset: 'utf-8' },
  ...extra,
});

test('a single text/plain message is its own body', () => {
  const plan = planMessage({ type: 'text/plain', size: 10, parameters: { charset: 'us-ascii' } });
  assert.deepEqual(
    plan.body.map((p) => p.part),
    ['1'],
  );
  assert.equal(plan.attachments.length, 0);
});

test('alternative: the HTML is the body, the plain alternative is not shown twice, nothing is an attachment', () => {
  const plan = planMessage({
    type: 'multipart/alternative',
    childNodes: [leaf('1', 'text/plain'), leaf('2', 'text/html')],
  });
  assert.deepEqual(
    plan.body.map((p) => p.part),
    ['2'],
  );
  assert.deepEqual(plan.attachments, []);
});

test('alternative with a calendar invitation: the text is the body, the invitation an attachment', () => {
  const plan = planMessage({
    type: 'multipart/alternative',
    childNodes: [leaf('1', 'text/plain'), leaf('2', 'text/html'), leaf('3', 'text/calendar')],
  });
  assert.deepEqual(
    plan.body.map((p) => p.part),
    ['2'],
  );
  assert.deepEqual(
    plan.attachments.map((p) => [p.part, p.type]),
    [['3', 'text/calendar']],
  );
});

test('mixed: every inline text part is shown, in order (RFC 2046), attachments in between are listed', () => {
  const plan = planMessage({
    type: 'multipart/mixed',
    childNodes: [
      { part: '1', type: 'multipart/alternative', childNodes: [leaf('1.1', 'text/plain'), leaf('1.2', 'text/html')] },
      leaf('2', 'application/pdf', { disposition: 'attachment', dispositionParameters: { filename: 'a.pdf' } }),
      leaf('3', 'text/plain', { disposition: 'inline' }),
      leaf('4', 'text/html'),
      leaf('5', 'text/plain'),
    ],
  });
  assert.deepEqual(
    plan.body.map((p) => p.part),
    ['1.2', '3', '4', '5'],
  );
  assert.deepEqual(
    plan.attachments.map((p) => p.part),
    ['2'],
  );
  assert.deepEqual(plan.notes, []);
});

test('thousands of parts: text parts and inline images are bounded, the rest listed, and the bound is said', () => {
  const texts = Array.from({ length: 3000 }, (_, i) => leaf(String(i + 1), 'text/plain'));
  const plan = planMessage({ type: 'multipart/mixed', childNodes: texts });
  assert.equal(plan.body.length, MAX_BODY_PARTS);
  assert.equal(plan.attachments.length, 3000 - MAX_BODY_PARTS);
  assert.match(plan.notes.join(' '), new RegExp(`3000 text parts; the first ${MAX_BODY_PARTS} are shown`));
  const images = Array.from({ length: 3500 }, (_, i) => leaf(`1.${i + 2}`, 'image/png', { id: `<i${i}@x>` }));
  const related = planMessage({ type: 'multipart/related', childNodes: [leaf('1.1', 'text/html'), ...images] });
  assert.equal(related.inline.length, MAX_INLINE_PARTS);
  assert.equal(related.attachments.length, 3500 - MAX_INLINE_PARTS);
  assert.match(related.notes.join(' '), new RegExp(`3500 inline images; the first ${MAX_INLINE_PARTS} are shown`));
});

test('mixed with related html + cid image + attachments (incl. an attached message)', () => {
  const root: MessageStructureObject = {
    type: 'multipart/mixed',
    childNodes: [
      {
        part: '1',
        type: 'multipart/alternative',
        childNodes: [
          leaf('1.1', 'text/plain'),
          {
            part: '1.2',
            type: 'multipart/related',
            childNodes: [
              leaf('1.2.1', 'text/html'),
              leaf('1.2.2', 'image/png', { id: '<logo@x>', encoding: 'base64', disposition: 'inline' }),
            ],
          },
        ],
      },
      leaf('2', 'application/pdf', { disposition: 'attachment', dispositionParameters: { filename: 'r.pdf' } }),
      leaf('3', 'message/rfc822', { envelope: { subject: 'Fwd' } }),
      leaf('4', 'text/plain', { disposition: 'attachment', dispositionParameters: { filename: 'notes.txt' } }),
    ],
  };
  const plan = planMessage(root);
  assert.deepEqual(
    plan.body.map((p) => p.part),
    ['1.2.1'],
  );
  assert.deepEqual(
    plan.inline.map((p) => [p.part, p.contentId]),
    [['1.2.2', 'logo@x']],
  );
  assert.deepEqual(
    plan.attachments.map((p) => [p.part, p.filename]),
    [
      ['2', 'r.pdf'],
      ['3', 'Fwd.eml'],
      ['4', 'notes.txt'],
    ],
  );
  assert.equal(hasAttachments(root), true);
});

test('absurd nesting is cut off instead of recursing forever, and the reader is told', () => {
  let node: MessageStructureObject = leaf('1', 'text/plain');
  for (let i = 0; i < 5000; i++) node = { type: 'multipart/mixed', part: String(i), childNodes: [node] };
  const plan = planMessage(node);
  assert.deepEqual(plan.body, []);
  assert.deepEqual(plan.notes, [`Parts nested more than ${MAX_DEPTH} levels deep are not shown.`]);
  let sixty: MessageStructureObject = leaf('1', 'text/plain');
  for (let i = 0; i < 60; i++) sixty = { type: 'multipart/mixed', part: String(i), childNodes: [sixty] };
  assert.equal(planMessage(sixty).body.length, 1, 'sixty levels (Dovecot parses up to 100) are shown');
});
