// Ready-to-paste producer examples for one endpoint. The secret is read from the environment,
// never written into the snippet.

const SAMPLE = {
  external_id: 'msg-0001',
  occurred_at: '2026-05-28T14:30:00Z',
  from: { identifier: 'alice@example.com', display_name: 'Alice' },
  to: [{ identifier: 'bob@example.com', display_name: 'Bob' }],
  body: 'Hello from my producer',
  attachments: [],
};

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function curlExample(url: string, authMode: string): string {
  const body = JSON.stringify(SAMPLE);
  if (authMode === 'hmac') {
    return [
      "export WEBHOOK_SECRET='paste-the-secret-here'",
      `BODY=${shellQuote(body)}`,
      `SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" -hex | sed 's/^.*= //')`,
      `curl -sS -X POST ${shellQuote(url)} \\`,
      `  -H 'Content-Type: application/json' \\`,
      `  -H "X-Comma-Signature: $SIG" \\`,
      `  --data-binary "$BODY"`,
    ].join('\n');
  }
  return [
    "export WEBHOOK_SECRET='paste-the-secret-here'",
    `curl -sS -X POST ${shellQuote(url)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -H "Authorization: Bearer $WEBHOOK_SECRET" \\`,
    `  --data-binary ${shellQuote(body)}`,
  ].join('\n');
}

function pythonLiteral(value: unknown, indent = 0): string {
  const pad = '    '.repeat(indent + 1);
  const end = '    '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${pad}${pythonLiteral(v, indent + 1)},`).join('\n')}\n${end}]`;
  }
  if (value && typeof value === 'object') {
    const items = Object.entries(value).map(
      ([k, v]) => `${pad}${JSON.stringify(k)}: ${pythonLiteral(v, indent + 1)},`,
    );
    return `{\n${items.join('\n')}\n${end}}`;
  }
  return JSON.stringify(value);
}

export function pythonExample(url: string, authMode: string): string {
  const lines = [
    '# Python 3, standard library only. Set WEBHOOK_SECRET in the environment first.',
    authMode === 'hmac'
      ? 'import hashlib, hmac, json, os, urllib.request'
      : 'import json, os, urllib.request',
    '',
    `URL = ${JSON.stringify(url)}`,
    'SECRET = os.environ["WEBHOOK_SECRET"]',
    '',
    `message = ${pythonLiteral(SAMPLE)}`,
    'body = json.dumps(message).encode()',
    '',
  ];
  if (authMode === 'hmac') {
    lines.push(
      '# The signature covers the exact bytes sent.',
      'sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()',
      'headers = {"Content-Type": "application/json", "X-Comma-Signature": sig}',
    );
  } else {
    lines.push('headers = {"Content-Type": "application/json", "Authorization": f"Bearer {SECRET}"}');
  }
  lines.push(
    '',
    'req = urllib.request.Request(URL, data=body, headers=headers, method="POST")',
    'with urllib.request.urlopen(req) as resp:',
    '    print(resp.status, resp.read().decode())',
  );
  return lines.join('\n');
}
