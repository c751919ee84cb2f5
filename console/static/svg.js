// Building inline SVG the way dom.js builds HTML: charts are drawn in the page, with no library.

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A <title> child is the browser's own hover tooltip for an SVG shape, and its accessible name.
export const tooltip = (text) => svg("title", { text });

// Coordinates rounded to a tenth of a pixel keep path strings short and stable.
export const r1 = (n) => Math.round(n * 10) / 10;

export function linePath(points) {
  return points.map(([x, y], i) => `${i ? "L" : "M"}${r1(x)} ${r1(y)}`).join("");
}
