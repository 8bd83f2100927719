// BODYSTRUCTUREs that message lists already fetched, so that opening one of those messages takes a
// single FETCH (headers + shown parts) instead of two. A message's structure can never change
// under the same UIDVALIDITY and UID (RFC 3501 §2.3.1.1), so an entry is never stale: at worst the
// message is gone, and the FETCH that follows says so.
import type { MessageStructureObject } from 'imapflow';

export interface StructureKey {
  mailbox: string;
  uidValidity: string;
  uid: number;
}

const keyOf = (k: StructureKey) => `${k.uidValidity}\u0000${k.uid}\u0000${k.mailbox}`;

/** Least-recently-used, bounded: the pages a person is looking at, not a whole folder. */
export class StructureMemo {
  private readonly entries = new Map<string, MessageStructureObject>();

  constructor(private readonly capacity = 1000) {}

  remember(key: StructureKey, structure: MessageStructureObject | undefined): void {
    if (!structure) return;
    const k = keyOf(key);
    this.entries.delete(k);
    this.entries.set(k, structure);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  recall(key: StructureKey): MessageStructureObject | undefined {
    const k = keyOf(key);
    const structure = this.entries.get(k);
    if (structure) {
      this.entries.delete(k);
      this.entries.set(k, structure);
    }
    return structure;
  }

  forget(key: StructureKey): void {
    this.entries.delete(keyOf(key));
  }

  get size(): number {
    return this.entries.size;
  }
}
