// The search page: Pagefind's JavaScript API, results drawn as plain DOM (no inline script or
// style, so the page's policy can stay at script-src 'self'). Addresses come from the form's
// data attributes, so the site works below any base path.
const form = document.getElementById("search");
const input = document.getElementById("search-query");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const MAX_RESULTS = 20;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

// Pagefind's excerpt is HTML with <mark> around the matches; keep only its text and marks.
function excerpt(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  const paragraph = element("p", "result-excerpt");
  for (const node of template.content.childNodes) {
    if (node.nodeName === "MARK") paragraph.append(element("mark", "", node.textContent));
    else paragraph.append(document.createTextNode(node.textContent));
  }
  return paragraph;
}

function describe(meta) {
  return [meta.kind, meta.date].filter(Boolean).join(" · ");
}

function show(query, total, results) {
  list.replaceChildren(
    ...results.map((result) => {
      const item = element("li", "result");
      const heading = element("h2", "result-title");
      const link = element("a", "", result.meta.title || result.url);
      link.href = result.url;
      heading.append(link);
      item.append(heading);
      const about = describe(result.meta);
      if (about) item.append(element("p", "result-kind", about));
      item.append(excerpt(result.excerpt));
      return item;
    }),
  );
  const shown = total > results.length ? `; the first ${results.length} are shown` : "";
  const asked = query.includes('"') ? query : `“${query}”`;
  status.textContent = total
    ? `${total} page${total === 1 ? "" : "s"} found for ${asked}${shown}.`
    : `Nothing found for ${asked}. Try fewer or other words, or the other ways in below.`;
}

// The index comes in shards (site_builder/search.py): the bundle's own is the primary, with
// Pagefind's script and WebAssembly; shards.json lists the others' folders, merged into it.
async function shards(bundle) {
  const response = await fetch(`${bundle}shards.json`, { cache: "no-cache" });
  if (!response.ok) throw new Error(`${response.url}: ${response.status}`);
  return response.json();
}

async function start() {
  const bundle = form.dataset.bundle;
  const [pagefind, folders] = await Promise.all([import(`${bundle}pagefind.js`), shards(bundle)]);
  // Options apply to one index each: merged shards get the same base URL and excerpt length.
  const settings = { baseUrl: form.dataset.base, excerptLength: 24 };
  await pagefind.options(settings);
  await pagefind.init();
  await Promise.all(folders.map((folder) => pagefind.mergeIndex(`${bundle}${folder}`, settings)));

  let latest = 0;
  async function search(query, remember) {
    const asked = ++latest;
    query = query.trim();
    if (remember) {
      const address = new URL(location.href);
      if (query) address.searchParams.set("q", query);
      else address.searchParams.delete("q");
      history.replaceState(null, "", address);
    }
    if (!query) {
      list.replaceChildren();
      status.textContent = "";
      return;
    }
    const found = await pagefind.search(query);
    const results = await Promise.all(found.results.slice(0, MAX_RESULTS).map((result) => result.data()));
    if (asked === latest) show(query, found.results.length, results);
  }

  let typing;
  input.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => search(input.value, true), 250);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typing);
    search(input.value, true);
  });

  form.querySelector("fieldset").disabled = false;
  document.getElementById("search-needs-script").hidden = true;
  const asked = new URLSearchParams(location.search).get("q");
  if (asked) {
    input.value = asked;
    await search(asked, false);
  }
}

start().catch((error) => {
  status.textContent = "Search could not start in this browser; the links below still lead to every text.";
  console.warn("search:", error);
});
