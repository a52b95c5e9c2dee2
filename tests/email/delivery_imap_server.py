"""A tiny IMAP4rev1 server for tests: one mailbox, the commands imaplib sends to read unseen
messages (LOGIN, SELECT, UID SEARCH UNSEEN, UID FETCH BODY.PEEK[], UID STORE +FLAGS \\Seen),
in plain text, over TLS from the first byte (IMAPS), or upgraded with STARTTLS; and a private
CA with a server certificate for it, made with the openssl command."""

import re
import socket
import socketserver
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Mailbox:
    user: str
    password: str
    messages: dict[int, bytes] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)
    folder: str = "INBOX"
    # How each successful LOGIN arrived: the TLS version ("TLSv1.3"), or "plain".
    logins: list[str] = field(default_factory=list)

    def add(self, raw: bytes) -> int:
        uid = max(self.messages, default=100) + 1
        self.messages[uid] = raw
        return uid


def _args(line: str) -> list[str]:
    return [a.strip('"') for a in re.findall(r'"(?:[^"\\]|\\.)*"|\S+', line)]


class _Handler(socketserver.StreamRequestHandler):
    mailbox: Mailbox
    starttls: ssl.SSLContext | None = None

    def send(self, text: str | bytes) -> None:
        self.wfile.write(text if isinstance(text, bytes) else text.encode())

    def _tls_version(self) -> str:
        if isinstance(self.connection, ssl.SSLSocket):
            return self.connection.version() or "TLS"
        return "plain"

    def _start_tls(self, context: ssl.SSLContext) -> None:
        self.wfile.flush()
        self.connection = context.wrap_socket(self.connection, server_side=True)
        self.rfile = self.connection.makefile("rb")
        self.wfile = self.connection.makefile("wb", buffering=0)

    def handle(self) -> None:
        box = self.mailbox
        authed = False
        self.send("* OK [CAPABILITY IMAP4rev1] test server ready\r\n")
        while line := self.rfile.readline().decode().rstrip("\r\n"):
            tag, command, *rest = [*_args(line), ""]
            command = command.upper()
            offers_starttls = self.starttls is not None and self._tls_version() == "plain"
            if command == "CAPABILITY":
                extra = " STARTTLS" if offers_starttls else ""
                self.send(f"* CAPABILITY IMAP4rev1{extra}\r\n{tag} OK done\r\n")
            elif command == "STARTTLS" and offers_starttls:
                assert self.starttls is not None
                self.send(f"{tag} OK begin TLS now\r\n")
                self._start_tls(self.starttls)
            elif command == "LOGIN":
                authed = rest[:2] == [box.user, box.password]
                if authed:
                    box.logins.append(self._tls_version())
                self.send(f"{tag} OK logged in\r\n" if authed else f"{tag} NO bad login\r\n")
            elif not authed and command != "LOGOUT":
                self.send(f"{tag} BAD log in first\r\n")
            elif command == "SELECT":
                if rest[0] != box.folder:
                    self.send(f"{tag} NO no such folder\r\n")
                    continue
                self.send(f"* {len(box.messages)} EXISTS\r\n{tag} OK [READ-WRITE] selected\r\n")
            elif command == "UID" and rest[0].upper() == "SEARCH":
                unseen = " ".join(str(u) for u in sorted(box.messages) if u not in box.seen)
                self.send(f"* SEARCH {unseen}\r\n{tag} OK search done\r\n".replace("  ", " "))
            elif command == "UID" and rest[0].upper() == "FETCH":
                uid = int(rest[1])
                raw = box.messages[uid]
                seq = sorted(box.messages).index(uid) + 1
                self.send(f"* {seq} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode() + raw)
                self.send(f")\r\n{tag} OK fetch done\r\n")
            elif command == "UID" and rest[0].upper() == "STORE":
                uid = int(rest[1])
                box.seen.add(uid)
                seq = sorted(box.messages).index(uid) + 1
                self.send(f"* {seq} FETCH (UID {uid} FLAGS (\\Seen))\r\n{tag} OK stored\r\n")
            elif command == "CLOSE":
                self.send(f"{tag} OK closed\r\n")
            elif command == "LOGOUT":
                self.send(f"* BYE\r\n{tag} OK bye\r\n")
                return
            else:
                self.send(f"{tag} BAD unknown command\r\n")


class _TLSServer(socketserver.ThreadingTCPServer):
    """IMAPS: TLS from the first byte. A client that rejects the certificate ends the handshake;
    the server then drops that connection (an OSError, which socketserver ignores)."""

    def __init__(self, address: tuple[str, int], handler: type, context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        sock.settimeout(10)
        return self.context.wrap_socket(sock, server_side=True), address


@contextmanager
def imap_server(
    mailbox: Mailbox,
    *,
    tls: ssl.SSLContext | None = None,
    starttls: ssl.SSLContext | None = None,
) -> Iterator[tuple[str, int]]:
    """Serve `mailbox` on a free port of 127.0.0.1: over TLS from the start with `tls`, or in
    plain text offering STARTTLS with `starttls`."""
    handler = type("Handler", (_Handler,), {"mailbox": mailbox, "starttls": starttls})
    server: socketserver.ThreadingTCPServer
    if tls is not None:
        server = _TLSServer(("127.0.0.1", 0), handler, tls)
    else:
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[0], server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class TlsFiles:
    ca: Path  # the private CA's certificate, which clients trust
    cert: Path  # the server's certificate for "localhost" (not 127.0.0.1), signed by the CA
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_tls_files(directory: Path) -> TlsFiles:
    """A private CA and a server certificate it signed, as real deployments have them (X.509 v3
    extensions included, so strict verification accepts them). Needs the openssl command."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=Revline test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    openssl(
        "req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"
    )
    (directory / "server.ext").write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=DNS:localhost\n"
        "authorityKeyIdentifier=keyid\n"
        "subjectKeyIdentifier=hash\n"
    )
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
    )  # fmt: skip
    return TlsFiles(
        ca=directory / "ca.pem", cert=directory / "server.pem", key=directory / "server.key"
    )
