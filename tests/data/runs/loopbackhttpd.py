#!/usr/bin/env python3
"""A loopback-only HTTP server for recording fixtures: answers 200 after DELAY seconds.
Usage: loopbackhttpd.py PORT DELAY"""
import http.server
import sys
import time

port, delay = int(sys.argv[1]), float(sys.argv[2])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(delay)
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
