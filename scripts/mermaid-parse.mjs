// Reads Mermaid files with Mermaid's own parser and prints, for each, one JSON line: the
// diagram type, its nodes (id, shape, label as Mermaid shows it, classes) and edges, or the
// parser's error. Exits 1 if any file does not parse.
//
//   node scripts/mermaid-parse.mjs FILE...     (JF_MERMAID_PARSER: see scripts/mermaid-tools.sh)
//
// tests/graph.rs checks the `-o mermaid` goldens with it.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const parserPath = process.env.JF_MERMAID_PARSER;
if (!parserPath) {
  console.error('error: JF_MERMAID_PARSER is not set: eval "$(scripts/mermaid-tools.sh)"');
  process.exit(2);
}
// Mermaid sanitizes labels with DOMPurify, which needs a DOM: linkedom's, from the same install.
const { parseHTML } = createRequire(parserPath)("linkedom");
const { window } = parseHTML("<!doctype html><html><body></body></html>");
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import(pathToFileURL(parserPath).href);
mermaid.initialize({ startOnLoad: false });

// What a reader sees: Mermaid keeps `#quot;` and `#35;` as placeholders until it draws, then
// the browser reads them as HTML entities (Mermaid's decodeEntities), and `<br>` breaks a line.
function shown(text) {
  const html = text.replace(/ﬂ°°/g, "&#").replace(/ﬂ°/g, "&").replace(/¶ß/g, ";");
  return html.split(/<br\s*\/?>/i).map((part) => {
    const element = document.createElement("div");
    element.innerHTML = part;
    return element.textContent;
  });
}

let failed = false;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  try {
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const nodes = [...diagram.db.getVertices().values()].map((v) => ({
      id: v.id,
      shape: v.type,
      label: shown(v.text),
      classes: v.classes,
    }));
    const edges = diagram.db.getEdges().map((e) => ({ from: e.start, to: e.end, stroke: e.stroke }));
    console.log(JSON.stringify({ file, type: diagram.type, nodes, edges }));
  } catch (error) {
    failed = true;
    console.log(JSON.stringify({ file, error: String(error.message ?? error) }));
  }
}
process.exit(failed ? 1 : 0);
