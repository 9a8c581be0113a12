// Reads back what the training report shows: a table's cells as text, as a reader sees them.

const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();

/** The rows of `<table id="...">`'s body (and footer), each as its cells' text. */
export function tableRows(html: string, id: string, part: 'tbody' | 'tfoot' = 'tbody'): string[][] {
  const table = new RegExp(`<table id="${id}"[^>]*>([\\s\\S]*?)</table>`).exec(html);
  if (!table) throw new Error(`no table #${id} in the report`);
  const body = new RegExp(`<${part}>([\\s\\S]*?)</${part}>`).exec(table[1]);
  if (!body) throw new Error(`table #${id} has no ${part}`);
  return [...body[1].matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1].matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) => text(c[1])));
}

/** The text of each `<text>` element inside `<svg ... id="...-t">` charts' group, by chart id. */
export function chartTexts(html: string, id: string): string[] {
  const svg = new RegExp(`<svg class="chart"[^>]*aria-labelledby="${id}-t ${id}-d"[^>]*>([\\s\\S]*?)</svg>`).exec(html);
  if (!svg) throw new Error(`no chart ${id} in the report`);
  return [...svg[1].matchAll(/<text[^>]*>([\s\S]*?)<\/text>/g)].map((t) => text(t[1]));
}

export { text as htmlText };
