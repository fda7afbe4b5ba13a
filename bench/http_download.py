"""Download a large file over HTTP: territoria's streaming landing vs a plain ``httpx.get``.

Serves a file of ``--mib`` MiB from Python's own HTTP server on 127.0.0.1 (in a subprocess),
then, each in its own subprocess so that peak memory is measured separately:

- territoria: ``HttpClient.download`` into a landing area (streamed, hashed, fsynced, renamed);
- peer: ``httpx.get(url).content`` written to a file (the whole body in memory).

Prints MiB/s and peak RSS for both, and the ratios.

    .venv/bin/python bench/http_download.py --mib 512
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TERRITORIA = """
import json, resource, sys, time
from pathlib import Path
from territoria.connectors.http import HttpClient, HttpOptions
from territoria.landing import Landing
t = time.perf_counter()
with HttpClient("bench", HttpOptions()) as client:
    dl = client.download(sys.argv[1], Landing(Path(sys.argv[2])), allow_html=True)
wall = time.perf_counter() - t
print(json.dumps({"wall": wall, "bytes": dl.landed.size, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

PEER = """
import json, resource, sys, time
import httpx
t = time.perf_counter()
body = httpx.get(sys.argv[1], timeout=600).content
with open(sys.argv[2] + "/peer.bin", "wb") as fh:
    fh.write(body)
wall = time.perf_counter() - t
print(json.dumps({"wall": wall, "bytes": len(body), "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

BASELINE = """
import json, resource
import httpx
from territoria.connectors.http import HttpClient
print(json.dumps({"rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def run(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="territoria-bench-") as tmp:
        root = Path(tmp)
        served = root / "served"
        served.mkdir()
        with (served / "big.bin").open("wb") as fh:
            for _ in range(args.mib):
                fh.write(os.urandom(1 << 20))
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(served)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert server.stdout is not None
            line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (...)"
            port = int(line.split(" port ")[1].split()[0])
            url = f"http://127.0.0.1:{port}/big.bin"
            time.sleep(0.2)
            base = run(BASELINE)["rss"]
            ours = run(TERRITORIA, url, str(root / "landing"))
            peer = run(PEER, url, str(root))
        finally:
            server.terminate()
            server.wait(10)
    mib = args.mib
    for name, r in (("territoria HttpClient.download", ours), ("peer httpx.get(...).content", peer)):
        print(
            f"{name:32s} {mib / r['wall']:8.1f} MiB/s   peak RSS {r['rss'] / 1024:7.1f} MiB "
            f"(+{(r['rss'] - base) / 1024:.1f} MiB over the imports)"
        )
    print(f"throughput ratio territoria/peer: {peer['wall'] / ours['wall']:.2f}x")
    print(f"peak memory ratio peer/territoria: {peer['rss'] / ours['rss']:.2f}x for a {mib} MiB file")


if __name__ == "__main__":
    main()
