// A strict parser of the Prometheus text exposition format (version 0.0.4): every sample must
// belong to a family declared by # TYPE, names and labels must be well-formed, values numbers.
// Throws on anything a Prometheus server would reject, so a test that parses proves the format.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SUFFIXES: Record<Family['type'], string[]> = {
  counter: ['', '_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['', '_sum', '_count', '_created'],
  untyped: [''],
};

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const help = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
    };
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) fail('bad metric name');
      if (kind === 'HELP') help.set(name, rest);
      else {
        if (!(rest in SUFFIXES)) fail('bad type');
        if (families.has(name)) fail('family declared twice');
        families.set(name, { name, type: rest as Family['type'], help: help.get(name) ?? '', samples: [] });
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/.exec(line);
    if (!m) fail('not a sample');
    const [, name, , rawLabels, rawValue] = m as unknown as [
      string,
      string,
      string,
      string | undefined,
      string,
    ];
    const value = parseValue(rawValue) ?? fail('bad value');
    const labels = parseLabels(rawLabels ?? '') ?? fail('bad labels');
    const family = familyOf(families, name) ?? fail('sample without a # TYPE family');
    if (family.type === 'histogram' && name.endsWith('_bucket') && !('le' in labels))
      fail('bucket without le');
    family.samples.push({ name, labels, value });
  }
  return families;
}

function familyOf(families: Map<string, Family>, sample: string): Family | undefined {
  for (const f of families.values()) if (SUFFIXES[f.type].some((s) => `${f.name}${s}` === sample)) return f;
  return undefined;
}

/** As Prometheus reads it (Go's ParseFloat: NaN and Inf in any case). */
function parseValue(s: string): number | undefined {
  const l = s.toLowerCase();
  if (l === '+inf' || l === 'inf') return Number.POSITIVE_INFINITY;
  if (l === '-inf') return Number.NEGATIVE_INFINITY;
  if (l === 'nan') return Number.NaN;
  const v = Number(s);
  return Number.isNaN(v) ? undefined : v;
}

function parseLabels(s: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const re = /\s*([^=\s]+)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m || !LABEL.test(m[1]!) || m[1]! in out) return undefined;
    out[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    pos = re.lastIndex;
  }
  return out;
}

/** The sum of the samples matching name and labels (0 when none: a counter not yet incremented). */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  let sum = 0;
  for (const f of families.values())
    for (const s of f.samples)
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  return sum;
}
