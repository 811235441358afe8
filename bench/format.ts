/** Plain-text output helpers for the benchmark: aligned tables, numbers, progress lines. */

/**
 * Aligned columns: `align` has one letter per column, `l` or `r` (default: the first left, the rest right).
 * `null` rows become blank lines.
 */
export function table(rows: (string[] | null)[], align = '', indent = '  '): string {
  const cells = rows.filter((r): r is string[] => r !== null)
  const widths: number[] = []
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)))
  const left = (i: number): boolean => (align[i] ?? (i === 0 ? 'l' : 'r')) === 'l'
  return rows
    .map((r) => (r === null ? '' : indent + r.map((c, i) => (left(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()))
    .join('\n')
}

export const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a')
export const fixed = (n: number, d = 2): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a')
export const ms = (us: number): string => (Number.isFinite(us) ? (us / 1000).toFixed(us < 10_000 ? 3 : 1) : 'n/a')
export const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1)
export const ci = (c: [number, number] | null, f: (n: number) => string = int): string => (c ? `[${f(c[0])}, ${f(c[1])}]` : '[n too small]')

/** Prints `label: done/total (rate/s)` to stderr at most every `everyMs`, and once at the end. */
export class Progress {
  private last = performance.now()
  private readonly started = this.last
  private done = 0

  constructor(private readonly label: string, private readonly total?: number, private readonly everyMs = 3000) {}

  add(n = 1): void {
    this.done += n
    const now = performance.now()
    if (now - this.last >= this.everyMs) {
      this.last = now
      this.print(now)
    }
  }

  finish(): void {
    if (performance.now() - this.started >= this.everyMs) this.print(performance.now())
  }

  private print(now: number): void {
    const rate = this.done / ((now - this.started) / 1000)
    process.stderr.write(`[bench] ${this.label}: ${int(this.done)}${this.total ? `/${int(this.total)}` : ''} (${int(rate)}/s)\n`)
  }
}
