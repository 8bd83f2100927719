// Message-IDs and Content-IDs travel with or without angle brackets; compare them without.
export function bareId(id: string): string {
  return id.trim().replace(/^<|>$/g, '');
}
