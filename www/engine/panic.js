// Panic messages from the engine worker, DOM-free (unit-tested in tests/unit/panic.test.mjs).

/** The panic hook prints "panicked at FILE:LINE:COL:\nMESSAGE\n\nStack: …"; say "MESSAGE (at FILE:LINE:COL)". */
export function panicSummary(text) {
  const lines = String(text).split('\n');
  const at = /^panicked at (.*?):?$/.exec(lines[0]);
  if (at && lines.length > 1 && lines[1].trim()) return `${lines[1].trim()} (at ${at[1]})`.slice(0, 300);
  return lines[0].slice(0, 300);
}
