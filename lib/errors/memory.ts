/**
 * Recognizing a failed allocation from the words each runtime uses for it: ORT's wasm build (C++
 * `std::bad_alloc`; a size past wasm32's 4 GiB overflows ORT's size arithmetic first), the browsers'
 * WebAssembly.Memory (Chromium "could not allocate memory", WebKit "RangeError: Out of memory",
 * Firefox "out of memory") and Emscripten's heap growth.
 */
const patterns: ReadonlyArray<[RegExp, string]> = [
  [/SafeIntOnOverflow|Integer overflow/i, 'a size past what wasm32 can address (4 GiB)'],
  [/bad_alloc/, 'an allocation ORT could not make'],
  [/out of memory|could not allocate memory|allocation failed|Cannot enlarge memory|Aborted\(OOM\)|Maximum memory size/i, 'the browser refused the memory'],
];

/** wasm32's address space: no ORT wasm heap grows past it. */
export const wasm32LimitBytes = 2 ** 32;

/** Why `message` is an out-of-memory failure, in words; null when it is not one. */
export function outOfMemoryCause(message: string | undefined): string | null {
  if (!message) return null;
  for (const [pattern, cause] of patterns) if (pattern.test(message)) return cause;
  return null;
}
