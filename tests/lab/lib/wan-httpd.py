#!/usr/bin/python3 -I
"""The lab's "internet" web servers, run inside the wan namespace.

    wan-httpd.py CERT KEY LISTEN...

LISTEN is  http:ADDR:PORT  or  https:ADDR:PORT  (ADDR may be an IPv6 address in brackets), or
proxy:ADDR:PORT, a forward proxy (CONNECT tunnels and absolute-URI GET/HEAD, like Squid) that
resolves names only through  host:NAME=ADDR[,ADDR...]  arguments: nothing leaves the lab.
One thread per listening socket, one thread per connection. Endpoints, for every host name:

  /            200, a one-line text naming the host that answered
  /v2/         401 with WWW-Authenticate, like Docker Hub's registry API
  /bytes/N     200, N bytes (N <= 10 MiB), to measure transfer time
  /delay/MS    200 after MS milliseconds (MS <= 10000), to measure a slow first byte
  /status/C    answers with status C
"""
import http.server
import json
import select
import socket
import ssl
import sys
import threading
import time
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "nestscope-lab-wan/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def reply(self, code, body, ctype="text/plain; charset=utf-8", headers=()):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        host = self.headers.get("Host") or "?"
        path = self.path.split("?")[0]
        scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        try:
            if path in ("/v2", "/v2/") or path.startswith("/v2/"):
                body = json.dumps({"errors": [{"code": "UNAUTHORIZED",
                                               "message": "authentication required",
                                               "detail": None}]}) + "\n"
                self.reply(401, body, "application/json", [
                    ("Docker-Distribution-Api-Version", "registry/2.0"),
                    ("WWW-Authenticate",
                     'Bearer realm="https://registry.lab.test/token",service="registry.lab.test"'),
                ])
            elif path.startswith("/bytes/"):
                n = min(int(path.split("/")[2]), 10 * 1024 * 1024)
                self.reply(200, b"x" * n, "application/octet-stream")
            elif path.startswith("/delay/"):
                time.sleep(min(int(path.split("/")[2]), 10000) / 1000.0)
                self.reply(200, "delayed\n")
            elif path.startswith("/status/"):
                code = int(path.split("/")[2])
                self.reply(code, "status %d\n" % code)
            elif path == "/":
                self.reply(200, "nestscope lab: %s over %s, served by %s\n"
                           % (host, scheme, self.connection.getsockname()[0]))
            else:
                self.reply(404, "not found\n")
        except (ValueError, IndexError):
            self.reply(400, "bad request\n")


HOSTS = {}  # name -> [address, ...], from the host: arguments


def open_upstream(host, port):
    """A TCP connection to host:port inside the lab, or None."""
    for addr in HOSTS.get(host.lower(), [host.strip("[]")]):
        try:
            family = socket.AF_INET6 if ":" in addr else socket.AF_INET
            socket.inet_pton(family, addr)  # a literal, never a name for the system resolver
            s = socket.socket(family, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect((addr, port))
            s.settimeout(None)
            return s
        except OSError:
            continue
    return None


def relay(a, b):
    """Copies bytes both ways until either side closes."""
    socks = [a, b]
    while True:
        readable, _, _ = select.select(socks, [], [], 60)
        if not readable:
            return
        for s in readable:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    server_version = "nestscope-lab-proxy/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("proxy %s %s\n" % (self.address_string(), fmt % args))

    def fail(self, code, text):
        body = (text + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_CONNECT(self):
        host, _, port = self.path.rpartition(":")
        up = open_upstream(host, int(port)) if port.isdigit() else None
        if up is None:
            self.fail(502, "cannot reach %s" % self.path)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        try:
            relay(self.connection, up)
        finally:
            up.close()
        self.close_connection = True

    def forward(self):
        url = urllib.parse.urlsplit(self.path)
        if url.scheme != "http" or not url.hostname:
            self.fail(400, "expected an absolute http:// URL")
            return
        up = open_upstream(url.hostname, url.port or 80)
        if up is None:
            self.fail(502, "cannot reach %s" % url.hostname)
            return
        target = (url.path or "/") + ("?" + url.query if url.query else "")
        head = "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n" % (self.command, target, url.netloc)
        for k, v in self.headers.items():
            if k.lower() not in ("host", "connection", "proxy-connection", "proxy-authorization"):
                head += "%s: %s\r\n" % (k, v)
        try:
            up.sendall((head + "\r\n").encode())
            while True:
                data = up.recv(65536)
                if not data:
                    break
                self.wfile.write(data)
        finally:
            up.close()
        self.close_connection = True

    do_GET = forward
    do_HEAD = forward


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    tls = None  # an ssl.SSLContext for https listeners

    def finish_request(self, request, client_address):
        # the TLS handshake runs in the connection's own thread, so a slow client stalls no one
        if self.tls is not None:
            request.settimeout(30)
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                sys.stderr.write("%s TLS handshake failed: %s\n" % (client_address[0], e))
                return
        super().finish_request(request, client_address)


def serve(spec, cert, key):
    scheme, rest = spec.split(":", 1)
    addr, port = rest.rsplit(":", 1)
    family = socket.AF_INET
    if addr.startswith("["):
        addr, family = addr[1:-1], socket.AF_INET6
    cls = type("S", (Server,), {"address_family": family})
    srv = cls((addr, int(port)), ProxyHandler if scheme == "proxy" else Handler)
    if scheme == "https":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.tls = ctx
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    return t


def main():
    cert, key, *args = sys.argv[1:]
    listen = []
    for a in args:
        if a.startswith("host:"):
            name, _, addrs = a[5:].partition("=")
            HOSTS[name.lower()] = addrs.split(",")
        else:
            listen.append(a)
    threads = [serve(spec, cert, key) for spec in listen]
    print("wan-httpd: listening on %s" % " ".join(listen), flush=True)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
