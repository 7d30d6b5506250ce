import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The folders of lib/ are layers: imports point down (engine → scheduler → pool → worker →
 * protocol/errors/tensor), type imports included, so no two folders import each other, directly or
 * through others, and no two files do either. The root (index.ts, version.ts) is outside the layers.
 */
const lib = import.meta.dirname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'/gms)].map((m) => resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
}

/** Strongly connected components with more than one member (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = stack.splice(stack.indexOf(v));
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const files = sourceFiles(lib);
const fileGraph = new Map(files.map((f) => [relative(lib, f), new Set(importsOf(f).map((d) => relative(lib, d)))]));
const folderOf = (file: string) => dirname(file);
const folderGraph = new Map<string, Set<string>>();
for (const [file, deps] of fileGraph) {
  if (folderOf(file) === '.') continue;
  for (const dep of deps) {
    if (folderOf(dep) === folderOf(file) || folderOf(dep) === '.') continue;
    if (!folderGraph.has(folderOf(file))) folderGraph.set(folderOf(file), new Set());
    folderGraph.get(folderOf(file))!.add(folderOf(dep));
  }
}

describe('lib/ layers', () => {
  it('reads the imports it checks', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(folderGraph.get('engine')).toContain('scheduler');
  });

  it('has no folders that import each other, directly or in a circle', () => {
    expect(cycles(folderGraph)).toEqual([]);
  });

  it('has no files that import each other', () => {
    expect(cycles(fileGraph)).toEqual([]);
  });

  it('finds a circle when there is one', () => {
    const graph = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c']]);
  });
});
