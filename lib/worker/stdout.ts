/**
 * ORT's wasm writes its profile to stdout, which Emscripten sends to console.log, bound when ORT's
 * module is instantiated. Installed before that (at worker start), this wrapper lets the worker take
 * those lines while a capture runs, instead of letting them flood the page's console.
 */
let capture: string[] | null = null;

export function interceptStdout(): void {
  const original = console.log.bind(console);
  console.log = (...args: unknown[]) => {
    if (capture) capture.push(args.map(String).join(' '));
    else original(...args);
  };
}

/** Runs `fn` and returns what was printed meanwhile, line by line. */
export async function captureStdout(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  capture = lines;
  try {
    await fn();
    return lines;
  } finally {
    capture = null;
  }
}
