const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g

/**
 * Escapes text for HTML content and attribute values (the report and its SVG charts). URLs found in the data stay
 * readable but are never links, and `://` is written with character references so the file holds no literal
 * `http(s)://`.
 */
export function esc(value: unknown): string {
  return String(value)
    .replace(CONTROL, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/:\/\//g, ':&#47;&#47;')
}
