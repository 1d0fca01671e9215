"""A loopback HTTP(S) server for LibeventTransportTests: prints its port, answers a few fixed
paths, and exits when its stdin closes, so it never outlives the test that started it.

    python3 -I loopback_server.py [CERT KEY]     # with CERT and KEY: HTTPS
"""
import http.server
import os
import ssl
import sys
import threading

FLOOD_BYTES = 300 * 1024 * 1024
FLOOD_CHUNK = b"<AssumeRoleResponse>" + b"A" * (65536 - 20)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        route = getattr(self, "route_" + self.path.split("?")[0].strip("/").replace("-", "_"), None)
        if route is None:
            return self.answer(404, b"no such path")
        try:
            route(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the client stopped reading, as it should past its limit

    def answer(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route_echo(self, body):
        """What arrived, so the test can check the request's framing."""
        seen = (f"{self.command} {self.path} {self.request_version}\n"
                f"Host: {self.headers.get('Host')}\n"
                f"Connection: {self.headers.get('Connection')}\n"
                f"X-Test: {self.headers.get('X-Test')}\n\n").encode()
        self.answer(200, seen + body)

    def route_redirect(self, body):
        self.answer(307, b"", headers=[("Location", "http://127.0.0.1:9/elsewhere")])

    def route_chunked(self, body):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in (b"<Chunked>", b"in three parts", b"</Chunked>"):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")

    def route_interim(self, body):
        """A 100 Continue nobody asked for, then the answer."""
        self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.answer(200, b"after the interim answer")

    def closing_answer(self, header, body):
        """An answer that ends with the connection: a body without length, or one cut short."""
        self.send_response(200)
        self.send_header(*header)
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def route_until_close(self, body):
        self.closing_answer(("Connection", "close"), b"a body that ends where the connection does")

    def route_truncated(self, body):
        self.closing_answer(("Content-Length", "100"), b"only ten b")

    def flood(self, framing):
        self.send_response(200)
        self.send_header(*framing)
        self.end_headers()
        chunked = framing[0] == "Transfer-Encoding"
        sent = 0
        while sent < FLOOD_BYTES:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(FLOOD_CHUNK), FLOOD_CHUNK) if chunked else FLOOD_CHUNK)
            sent += len(FLOOD_CHUNK)
        self.close_connection = True

    def route_flood_length(self, body):
        self.flood(("Content-Length", str(FLOOD_BYTES)))

    def route_flood_close(self, body):
        self.flood(("Connection", "close"))

    def route_flood_chunked(self, body):
        self.flood(("Transfer-Encoding", "chunked"))


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if len(sys.argv) == 3:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[1], sys.argv[2])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)

    def exit_with_parent():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=exit_with_parent, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
