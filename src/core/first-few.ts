/** `a, b, c, and 4 more`: the first `shown` names of a list a message names, then how many it leaves out. */
export function firstFew(names: readonly string[], shown = 3): string {
  const head = names.slice(0, shown).join(', ');
  return names.length > shown ? `${head}, and ${names.length - shown} more` : head;
}
