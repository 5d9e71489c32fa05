/**
 * Code-unit order of strings. `localeCompare` follows the runtime's locale and ICU data, which
 * would let two machines sort (and so number) the same world differently.
 */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Appends `item` to the list kept under `key`, creating the list on first use. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, item: V): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}
