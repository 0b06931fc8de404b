"""The load generator of the benchmarks: wrk, driven by bench/loadgen.lua.

wrk (Debian package ``wrk``: ``apt-get install wrk``) is a C program on epoll that spends a
few tens of microseconds of CPU per request. The benchmarks used to send their load from
Python threads: about a millisecond of CPU per request, under one interpreter lock, on the
same two cores as the server. That client capped the bare INSERT endpoint at about 600
requests/s (wrk drives it at 1,600/s) and added its own waits to every latency, so the
ratios it reported flattered the app. Now each simulated client is a wrk thread with one
connection that does its share once (a scan per code, or the registrants given to it);
every request is logged with its start and end, and the figures are computed here
(``LOADGEN_KEEP=<folder>`` keeps those logs for a closer look).
"""
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

SCRIPT = Path(__file__).resolve().parent / "loadgen.lua"
# The one browser every client claims to be. A staff session signed in for the load (the
# check-in benchmark) must use it too: Flask-Login ties a session to the address and
# User-Agent it signed in from, and a request from another pair marks the session "not
# fresh", which rewrites its cookie on every answer - work no real tablet causes.
USER_AGENT = "Mozilla/5.0 (Linux; Android 12) OpenDay-bench"


def wrk_path():
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("The benchmarks need wrk: apt-get install wrk")
    return path


def run(mode, urls, clients, *, inputs=None, registrants=None, slug=None, timeout=600):
    """Run ``clients`` wrk clients against ``urls`` (spread in turn) until each is done.

    ``inputs``: for the scan modes, one list of lines per client (cookie, CSRF token, codes).
    Returns {"requests": [(kind, seconds, status, ok, client)] in each client's order,
    "wall": seconds from the first request sent to the last answer, "clients": n,
    "socket_errors": connections that failed (wrk sent those requests again)}."""
    urls = urls if isinstance(urls, list) else [urls]
    with tempfile.TemporaryDirectory(prefix="loadgen-") as folder:
        folder = Path(folder)
        if inputs is not None:
            assert len(inputs) == clients and all(len(lines) > 2 for lines in inputs)
            for n, lines in enumerate(inputs):
                (folder / f"in-{n}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            assert registrants >= clients, "every client needs a registrant"
        hosts = ",".join(urlsplit(url).netloc for url in urls)
        # Where a client that is done waits for the others: a socket that takes connections
        # (the kernel's backlog does) and never answers, so that it adds no load.
        parking = socket.socket()
        parking.bind(("127.0.0.1", 0))
        parking.listen(clients + 16)
        park = f"127.0.0.1:{parking.getsockname()[1]}"
        env = {**os.environ, "LOADGEN_DIR": str(folder), "LOADGEN_MODE": mode,
               "LOADGEN_HOSTS": hosts, "LOADGEN_CLIENTS": str(clients),
               "LOADGEN_REGISTRANTS": str(registrants or 0), "LOADGEN_SLUG": slug or "",
               "LOADGEN_PARK": park, "LOADGEN_USER_AGENT": USER_AGENT}
        process = subprocess.Popen(
            [wrk_path(), "--threads", str(clients), "--connections", str(clients),
             # A parked client's request is never answered: wrk's timeout must not count it
             # within a round. A server request that hangs fails anyway: gunicorn ends the
             # worker after its own timeout (30 to 60 s), and wrk counts the broken read.
             "--duration", f"{timeout}s", "--timeout", "300s", "--script", str(SCRIPT), urls[0]],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout + 10
        # Stop wrk (as Ctrl-C does) once each client has left its marker.
        started = time.monotonic()
        while len(list(folder.glob("done-*"))) < clients:
            if process.poll() is not None or time.monotonic() > deadline:
                break
            if time.monotonic() - started > 10 and not any(folder.glob("log-*")):
                break  # the script failed to start (wrk prints why and waits out its duration)
            time.sleep(0.02)
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
        parking.close()
        done = len(list(folder.glob("done-*")))
        if done < clients:
            raise RuntimeError(f"only {done} of {clients} clients finished: {output[-2000:]}")
        if os.environ.get("LOADGEN_KEEP"):
            shutil.copytree(folder, os.environ["LOADGEN_KEEP"], dirs_exist_ok=True)
        records = []
        for n in range(clients):
            for line in (folder / f"log-{n}.txt").read_text().splitlines():
                kind, start, end, status, ok = line.split()
                records.append((n, kind, int(start), int(end), int(status), ok == "1"))
    wall = (max(r[3] for r in records) - min(r[2] for r in records)) / 1e6
    # wrk sends a request again when its connection failed, and only counts such failures.
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                              r"timeout (\d+)", output)
    return {"requests": [(kind, (end - start) / 1e6, status, ok, client)
                         for client, kind, start, end, status, ok in records],
            "wall": wall, "clients": clients,
            "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0}


def percentile(values, p):
    """The p-th percentile (inclusive method) of ``values``."""
    values = sorted(values)
    if not values:
        return float("nan")
    if len(values) == 1 or p >= 100:
        return values[-1]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]
