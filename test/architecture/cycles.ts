// The import graph between source files and its cycles. Type-only imports
// are edges too: they still couple the two modules (one cannot move or
// change without the other), even though they vanish at run time.
import { posix } from 'node:path';
import { extractImports } from './imports.ts';
import type { SourceFile } from './source-files.ts';

export interface Edge {
  to: string;
  line: number;
  /** Every import from `from` to `to` is type-only. */
  typeOnly: boolean;
  /** Every import from `from` to `to` is a dynamic `import()`. */
  dynamicOnly: boolean;
}

export type Graph = Map<string, Map<string, Edge>>;

/** The source file a relative specifier names (`.js` spellings of `.ts` files and folder indexes included). */
export function resolveFile(fromFile: string, specifier: string, known: Set<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const path = posix.normalize(posix.join(posix.dirname(fromFile), specifier));
  const candidates = [path, path.replace(/\.js$/, '.ts'), path.replace(/\.mjs$/, '.mts'), path.replace(/\.cjs$/, '.cts'), `${path}.ts`, `${path}/index.ts`];
  return candidates.find((c) => known.has(c));
}

/**
 * Module imports only: `new URL(...)` worker references and other path
 * literals name a file (run in another thread, bundled, or loaded through a
 * helper), not a module this one evaluates.
 */
export function buildGraph(files: SourceFile[]): Graph {
  const known = new Set(files.map((f) => f.path));
  const graph: Graph = new Map();
  for (const file of files) {
    const edges = new Map<string, Edge>();
    for (const ref of extractImports(file.text)) {
      if (ref.kind === 'url' || ref.kind === 'path') continue;
      const to = resolveFile(file.path, ref.specifier, known);
      if (!to) continue;
      const seen = edges.get(to);
      const dynamic = ref.kind === 'dynamic';
      if (seen) { seen.typeOnly &&= ref.typeOnly; seen.dynamicOnly &&= dynamic; }
      else edges.set(to, { to, line: ref.line, typeOnly: ref.typeOnly, dynamicOnly: dynamic });
    }
    graph.set(file.path, edges);
  }
  return graph;
}

/** Strongly connected components (Tarjan), iteratively so deep graphs do not overflow the stack. */
function components(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; next: Iterator<string> }> = [];
    const enter = (node: string): void => {
      index.set(node, counter); low.set(node, counter); counter++;
      stack.push(node); onStack.add(node);
      work.push({ node, next: (graph.get(node) ?? new Map<string, Edge>()).keys() });
    };
    enter(root);
    while (work.length) {
      const top = work[work.length - 1];
      const step = top.next.next();
      if (!step.done) {
        const to = step.value;
        if (!index.has(to)) enter(to);
        else if (onStack.has(to)) low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      if (work.length) low.set(work[work.length - 1].node, Math.min(low.get(work[work.length - 1].node)!, low.get(top.node)!));
      if (low.get(top.node) === index.get(top.node)) {
        const component: string[] = [];
        let n: string;
        do { n = stack.pop()!; onStack.delete(n); component.push(n); } while (n !== top.node);
        out.push(component.sort());
      }
    }
  }
  return out;
}

/** The shortest path from `start` back to `start` inside `members` (breadth first). */
function shortestCycle(graph: Graph, start: string, members: Set<string>): string[] | undefined {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    for (const to of graph.get(queue[q])?.keys() ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path: string[] = [];
        for (let n = queue[q]; n !== start; n = parent.get(n)!) path.unshift(n);
        return [start, ...path, start];
      }
      if (!parent.has(to)) { parent.set(to, queue[q]); queue.push(to); }
    }
  }
  return undefined;
}

/**
 * The cycles in the graph: for each file on a cycle, the shortest cycle
 * through it, each cycle once (starting at its alphabetically first file).
 */
export function findCycles(graph: Graph): string[][] {
  const seen = new Set<string>();
  const cycles: string[][] = [];
  for (const component of components(graph)) {
    const members = new Set(component);
    const selfLoop = component.length === 1 && graph.get(component[0])?.has(component[0]);
    if (component.length < 2 && !selfLoop) continue;
    for (const start of component) {
      const cycle = shortestCycle(graph, start, members);
      if (!cycle) continue;
      const ring = cycle.slice(0, -1);
      const first = ring.indexOf([...ring].sort()[0]);
      const canonical = [...ring.slice(first), ...ring.slice(0, first), ring[first]];
      const key = canonical.join(' -> ');
      if (!seen.has(key)) { seen.add(key); cycles.push(canonical); }
    }
  }
  return cycles.sort((a, b) => a.join().localeCompare(b.join()));
}

function edgesOf(graph: Graph, cycle: string[]): Edge[] {
  return cycle.slice(0, -1).map((from, i) => graph.get(from)!.get(cycle[i + 1])!);
}

/** `a.ts -> b.ts -> a.ts`, noting when the cycle closes only through `import type` or `import()`. */
export function formatCycle(graph: Graph, cycle: string[]): string {
  const edges = edgesOf(graph, cycle);
  const notes = [
    ...(edges.some((e) => e.typeOnly) ? ['through `import type`'] : []),
    ...(edges.some((e) => e.dynamicOnly) ? ['through `import()`'] : []),
  ];
  return `${cycle.join(' -> ')}${notes.length ? `  (${notes.join(', ')})` : ''}`;
}
