// New mail delivered by another client (an IMAP APPEND on its own connection) → its row visible
// in the expanded Inbox. Many arrivals in the same window, at uneven gaps (1.5-9 s, fixed
// sequence), because what a person waits for is every arrival, not only the first one.
//
// Clock: from the APPEND's tagged OK (the message is in the mailbox) in this process to the frame
// that shows the row in the page; both are epoch times (performance.timeOrigin + now()) on one
// machine. Raw figure: a raw client sitting in IDLE on INBOX, from the same OK to its "* n EXISTS".
import { arm, epochNow, result, setStart } from './probe';
import { expandInbox } from './reader';
import { type BenchServer, type Figure, log, rawSession, sleep, VIEW, type Window } from './session';

function message(subject: string, i: number): string {
  return [
    'From: "Arrival Sender" <arrivals@example.org>',
    'To: "Alice Example" <alice@example.test>',
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <bench-arrival-${i}-${Date.now()}@example.org>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Arrival ${i}: delivered by another client while the window is open.`,
    '',
  ].join('\r\n');
}

/** Uneven but reproducible gaps between arrivals, 1.5-9 s. */
function gaps(n: number): number[] {
  let x = 0x2545f491;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out.push(1500 + (x % 7500));
  }
  return out;
}

export async function measureNewMail(b: BenchServer, w: Window, n: number): Promise<Figure> {
  const fig: Figure = { samples: [], raw: [], rawNote: 'a raw client in IDLE on INBOX: APPEND OK → its "* n EXISTS"', parts: { first: [], later: [] } };
  const page = w.wb.page;
  await expandInbox(w);
  // Keep the top of the Inbox in view: new mail is the newest row.
  await w.wb.runCommand('Focus on Mailboxes View');
  await page.keyboard.press('Home');
  const idler = await rawSession(b);
  const sender = await rawSession(b);
  let existsAt: number | null = null;
  try {
    await idler.ok('SELECT INBOX');
    const stopIdle = await idler.idle((line) => {
      if (/^\* \d+ EXISTS/i.test(line)) existsAt = epochNow();
    });
    const run = Date.now().toString(36);
    let i = 0;
    for (const gap of gaps(n)) {
      i++;
      await sleep(gap);
      const subject = `Bench arrival ${i} ${run}`;
      await arm(page, { kind: 'rowWithLabel', view: VIEW, label: subject }, 'given');
      existsAt = null;
      const body = message(subject, i);
      await sender.ok(`APPEND INBOX {${Buffer.byteLength(body)}+}\r\n${body}`);
      const delivered = epochNow();
      await setStart(page, delivered);
      const r = await result(page, 30_000);
      const ms = r ? r.ms : null;
      fig.samples.push(ms);
      fig.parts![i === 1 ? 'first' : 'later']!.push(ms);
      for (let k = 0; existsAt === null && k < 100; k++) await sleep(20);
      if (existsAt !== null) fig.raw!.push(Math.max(0, (existsAt as number) - delivered));
      log(`new mail ${i} (after ${(gap / 1000).toFixed(1)} s): ${ms === null ? 'TIMEOUT (30 s)' : `${Math.round(ms)} ms`}`);
    }
    await stopIdle();
  } finally {
    await idler.logout();
    await sender.logout();
  }
  return fig;
}
