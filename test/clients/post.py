# A producer that writes the whole body before reading (urllib does): prints one status per run,
# or "error <name>" when it never got to read one.
import sys
import urllib.error
import urllib.request

url, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
headers = dict(h.split(': ', 1) for h in sys.argv[4:])
data = open(path, 'rb').read()
for _ in range(runs):
    req = urllib.request.Request(url, data=data, method='POST', headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            print(r.status, flush=True)
    except urllib.error.HTTPError as e:
        print(e.code, flush=True)
    except Exception as e:  # noqa: BLE001 - the point is to report it
        print('error', type(e).__name__, flush=True)
