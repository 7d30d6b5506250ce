/**
 * Tensor names are data: any string ONNX allows, "__proto__" included. A plain
 * `map[name] = value` with that name sets the object's prototype instead of a
 * key, and `name in map` is true for every Object.prototype member; these two
 * do what a Map would, on the plain objects the API hands out.
 */

/** `map[name] = value`, always as an own, enumerable property. */
export function setNamed<T>(map: Record<string, T>, name: string, value: NoInfer<T>): void {
  Object.defineProperty(map, name, { value, enumerable: true, writable: true, configurable: true });
}

/** `map[name]` when `map` has it as its own property, else undefined. */
export function getNamed<T>(map: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(map, name) ? map[name] : undefined;
}
