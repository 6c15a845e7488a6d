// Downloads a sealed object (raw body or attachment) with the API key, or the session cookie. The server streams it
// from WORM storage and cuts the connection if the stored bytes fail their SHA-256; the browser
// checks the hash again before handing the file over.
import { useState } from 'react';
import { useSession } from '../auth';

async function sha256Hex(data: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function DownloadButton({
  path,
  filename,
  label,
  text = 'Download',
}: {
  path: string;
  filename: string;
  /** Accessible name (e.g. which file); `text` is what the button shows. */
  label: string;
  text?: string;
}) {
  const session = useSession();
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });

  async function download() {
    setState({ busy: true, error: null });
    try {
      const res = await fetch(path, { headers: session.headers() });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
        throw new Error(body?.error?.message ?? `download failed (${res.status})`);
      }
      const bytes = await res.arrayBuffer();
      const expected = res.headers.get('x-content-sha256');
      if (!expected || (await sha256Hex(bytes)) !== expected)
        throw new Error('integrity check failed: not saved');
      const url = URL.createObjectURL(new Blob([bytes], { type: res.headers.get('content-type') ?? '' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setState({ busy: false, error: null });
    } catch (err) {
      setState({ busy: false, error: err instanceof Error ? err.message : String(err) });
    }
  }

  return (
    <span className="download">
      <button
        type="button"
        className="btn btn-small"
        onClick={download}
        disabled={state.busy}
        aria-label={label}
      >
        {state.busy ? 'Downloading…' : text}
      </button>
      {state.error && (
        <span className="sub text-danger" role="alert">
          {state.error}
        </span>
      )}
    </span>
  );
}
