/**
 * A text without the run of one character it ends (or begins) with, in time linear in the run. `/\/+$/` and `/\.+$/`
 * try every position of a run that something else follows to the run's end: 60,000 `/` inside a backend URL's path
 * held the event loop ~3 s at each reload that built its backend, quadratic in the run.
 */
export function trimEndRun(text: string, ch: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === ch) end--;
  return text.slice(0, end);
}

export function trimStartRun(text: string, ch: string): string {
  let start = 0;
  while (start < text.length && text[start] === ch) start++;
  return text.slice(start);
}
