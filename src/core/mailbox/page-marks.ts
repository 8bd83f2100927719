// Where the last page listed of each folder ended: its oldest message's UID and sequence number.
// "Load more" asks for the messages below that number straight away and checks that the message
// at it still has that UID. Finding the position by UID instead (a UID SEARCH counting what lies
// below) makes the server walk the folder's index: ~170 ms per page at a million messages, where
// the page itself costs ~1 ms.

export interface PageMark {
  readonly uidValidity: string;
  readonly uid: number;
  readonly seq: number;
}

/** One mark per folder path: a guess to be checked, never trusted (numbers shift with expunges). */
export class PageMarks {
  private readonly byPath = new Map<string, PageMark>();

  get(path: string): PageMark | undefined {
    return this.byPath.get(path);
  }

  set(path: string, mark: PageMark | undefined): void {
    if (mark) this.byPath.set(path, mark);
    else this.byPath.delete(path);
  }
}
