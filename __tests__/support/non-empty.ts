/**
 * The items, after checking there is at least one. A loop of expectations over a list taken from the
 * synthesized output passes silently when the list is empty (a renamed type, a block no longer written):
 * it then checks nothing. Wrap such a list where it must hold something.
 */
export function nonEmpty<T>(items: readonly T[], what: string): readonly T[] {
  if (items.length === 0) throw new Error(`expected at least one ${what}, found none: the expectations over them would check nothing`);
  return items;
}
