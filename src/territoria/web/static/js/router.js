// The URL of a page: "#/<name>/<args...>?<params>".

/** "#/indicateur/population?code=35238" -> {name: "indicateur", args: ["population"], params} */
export function parseHash(hash) {
  if (!hash.startsWith("#/")) return { name: "carte", args: [], params: new URLSearchParams() };
  const [path, search = ""] = hash.replace(/^#\/?/, "").split("?");
  const [name = "", ...args] = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { name: name || "carte", args, params: new URLSearchParams(search) };
}

/** Change the URL's parameters without re-rendering (the page already shows that state). */
export function replaceParams(params) {
  const { name, args } = parseHash(location.hash);
  const path = ["", name, ...args.map(encodeURIComponent)].join("/");
  const search = params.toString();
  history.replaceState(null, "", `#${path}${search ? `?${search}` : ""}`);
}
