// Just enough HTML handling to compare a tagged page with its original.

// Every <a …> start tag, in document order.
export function anchorTags(html) {
  return [...html.matchAll(/<a\b[^>]*>/gi)].map((m) => m[0]);
}

export function attribute(tag, name) {
  const m = tag.match(new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i'));
  return m ? (m[2] ?? m[3] ?? m[4]) : null;
}

// Where the page's links go: the href of every <a> element, entities decoded.
// Checks look here rather than in the page text, which also carries script
// data that names the same paths (core 6.8+ prints the plugin's speculation
// rules exclusion, "/go/*", in a <script> element).
export function linkTargets(html) {
  return anchorTags(html).map((tag) => attribute(tag, 'href')).filter((href) => href !== null).map(decodeEntities);
}

export function decodeEntities(value) {
  return value.replace(/&amp;/g, '&').replace(/&#0?38;/g, '&').replace(/&quot;/g, '"').replace(/&#0?39;/g, "'");
}

// The page with every <a …> start tag replaced by a marker: what must not change.
export function withoutAnchors(html) {
  return html.replace(/<a\b[^>]*>/gi, '<a·>');
}

export function isAffiliate(href) {
  return /^https?:\/\/([^/]*\.)?(awin1\.com|shareasale\.com|sjv\.io|anrdoezrs\.net)\//i.test(decodeEntities(href || ''));
}
