#!/usr/bin/env python3
"""A web server that lies, for the auditor's hostile-server tests (HostileServerTests.swift).

  hostile-server.py serve DIR MODE   serve the static export DIR, misbehaving as MODE says;
                                     prints the port on the first line of standard output
  hostile-server.py run SECONDS CMD  runs CMD, kills it after SECONDS, and prints on standard
                                     error a last line `{"status", "seconds", "maxRSSKiB"}`

Modes (a lie about the data itself, such as a signed checkpoint of 2^64 - 1 leaves, is written
into DIR by the test and served with `plain`):
  plain         the files as they are (404 for a missing one)
  gzip-bomb     /checkpoint is 1 MiB of gzip that inflates to 1 GiB (Content-Encoding: gzip)
  huge          /checkpoint is 100 MiB
  trickle       /checkpoint one byte a second
  hang          every request is read and never answered
  lying-length  /checkpoint claims a terabyte, sends its bytes and then nothing more
  fail-one      tiles answer after 0.3 s, except one level-0 tile that answers 500 at once
  redirect-loop every path redirects to itself
  garbage       every path answers 200 with random bytes
"""

import gzip
import http.server
import json
import os
import resource
import subprocess
import sys
import threading
import time

CHUNK = 1 << 20


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."
    mode = "plain"
    bomb = None
    failed_tile = None
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def file(self):
        path = os.path.normpath(self.path.split("?", 1)[0].lstrip("/"))
        if path.startswith("..") or path == ".":
            return None
        full = os.path.join(self.root, path)
        return open(full, "rb").read() if os.path.isfile(full) else None

    def head(self, status, length, extra=()):
        self.send_response(status)
        self.send_header("Content-Length", str(length))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()

    def answer(self, body):
        if body is None:
            self.head(404, 9)
            self.wfile.write(b"not found")
        else:
            self.head(200, len(body))
            self.wfile.write(body)

    def do_GET(self):
        checkpoint = self.path == "/checkpoint"
        mode = self.mode
        try:
            if mode == "hang":
                time.sleep(3600)
            elif mode == "gzip-bomb" and checkpoint:
                self.head(200, len(self.bomb), [("Content-Encoding", "gzip"), ("Content-Type", "text/plain")])
                self.wfile.write(self.bomb)
            elif mode == "huge" and checkpoint:
                self.head(200, 100 * CHUNK)
                for _ in range(100):
                    self.wfile.write(b"A" * CHUNK)
            elif mode == "trickle" and checkpoint:
                body = self.file() or b""
                self.head(200, len(body))
                for byte in body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(1)
            elif mode == "lying-length" and checkpoint:
                self.head(200, 10 ** 12)
                self.wfile.write(self.file() or b"")
                self.wfile.flush()
                time.sleep(3600)
            elif mode == "fail-one" and self.path.startswith("/tile/0/"):
                with self.lock:
                    if Handler.failed_tile is None:
                        Handler.failed_tile = self.path
                    failing = Handler.failed_tile == self.path
                if failing:
                    self.head(500, 4)
                    self.wfile.write(b"oops")
                else:
                    time.sleep(0.3)
                    self.answer(self.file())
            elif mode == "redirect-loop":
                self.head(302, 0, [("Location", self.path)])
            elif mode == "garbage":
                body = os.urandom(200)
                self.head(200, len(body))
                self.wfile.write(body)
            else:
                self.answer(self.file())
        except (BrokenPipeError, ConnectionResetError):
            pass


def serve(root, mode):
    Handler.root = root
    Handler.mode = mode
    if mode == "gzip-bomb":
        # 64 gzip members of 16 MiB of zeros each (RFC 1952 allows members one after another):
        # about 1 MiB that inflates to 1 GiB, made in milliseconds.
        member = gzip.compress(b"\0" * (16 * CHUNK), compresslevel=9)
        Handler.bomb = member * 64
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


def run(seconds, command):
    start = time.monotonic()
    child = subprocess.Popen(command)
    try:
        status = child.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        status = "killed"
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stderr.write("\n" + json.dumps(
        {"status": status, "seconds": round(time.monotonic() - start, 2), "maxRSSKiB": used.ru_maxrss}) + "\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 3 and sys.argv[1] == "run":
        sys.exit(run(float(sys.argv[2]), sys.argv[3:]))
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
