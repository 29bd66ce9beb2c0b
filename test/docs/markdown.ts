// What the docs test reads from a Markdown file: its fenced blocks (runnable ones with their expected
// output), its headings' anchors and its relative links.

interface Fence {
  /** 1-based lines of the opening and the closing fence. */
  line: number;
  end: number;
  /** The info string's words: ```sh run -> ['sh', 'run']. */
  info: string[];
  body: string;
}

export interface Snippet {
  line: number;
  language: 'sh' | 'ts';
  code: string;
  /** The block marked `output` right after it, if any. */
  output?: { line: number; format: 'json' | 'text'; body: string };
}

function fences(markdown: string): Fence[] {
  const lines = markdown.split('\n');
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, marker, info] = open;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^ *${marker[0]}{${marker.length},} *$`).test(lines[j])) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
      j++;
    }
    found.push({ line: i + 1, end: j + 1, info: info.trim().split(/\s+/).filter(Boolean), body: body.join('\n') });
    i = j;
  }
  return found;
}

/** Runnable blocks (```sh run, ```ts run), each with the ```json output / ```text output block that follows it. */
export function snippets(markdown: string): Snippet[] {
  const all = fences(markdown);
  const lines = markdown.split('\n');
  const result: Snippet[] = [];
  for (const [index, fence] of all.entries()) {
    if (fence.info.includes('output')) {
      const previous = result.at(-1);
      const prior = all[index - 1];
      const adjacent = prior !== undefined && lines.slice(prior.end, fence.line - 1).every((l) => l.trim() === '');
      if (!previous || prior?.line !== previous.line || !adjacent) {
        throw new Error(`line ${fence.line}: an output block must follow a runnable block (only blank lines between)`);
      }
      const format = fence.info[0];
      if (format !== 'json' && format !== 'text') throw new Error(`line ${fence.line}: output blocks are json or text, not ${format}`);
      previous.output = { line: fence.line, format, body: fence.body };
      continue;
    }
    if (!fence.info.includes('run')) continue;
    const language = fence.info[0];
    if (language !== 'sh' && language !== 'ts') throw new Error(`line ${fence.line}: runnable blocks are sh or ts, not ${language}`);
    result.push({ line: fence.line, language, code: fence.body });
  }
  return result;
}

/** GitHub's anchor for each heading, duplicates numbered (-1, -2, ...) as GitHub does. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of withoutFences(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** Targets of inline links and images outside code, that are not absolute URLs: `docs/auth.md#strict`, `#options`. */
export function relativeLinks(markdown: string): { line: number; target: string }[] {
  const result: { line: number; target: string }[] = [];
  for (const [index, line] of withoutFences(markdown).entries()) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(match[1])) result.push({ line: index + 1, target: match[1] });
    }
  }
  return result;
}

/** The file's lines with every fenced block's lines blanked, so line numbers stay. */
function withoutFences(markdown: string): string[] {
  const lines = markdown.split('\n');
  const blanked = [...lines];
  for (const fence of fences(markdown)) {
    for (let i = fence.line - 1; i < fence.end; i++) blanked[i] = '';
  }
  return blanked;
}

/** Blocks that show a file of the repository (```ts file=docs/recipes/vitest/vitest.config.ts): path and body. */
export function fileBlocks(markdown: string): { line: number; path: string; body: string }[] {
  return fences(markdown).flatMap((fence) => {
    const path = fence.info.find((word) => word.startsWith('file='))?.slice('file='.length);
    return path === undefined ? [] : [{ line: fence.line, path, body: fence.body }];
  });
}
