"""A tiny IMAP4rev1 server for tests: one mailbox, the commands imaplib sends to read unseen
messages (LOGIN, SELECT, UID SEARCH UNSEEN, UID FETCH BODY.PEEK[], UID STORE +FLAGS \\Seen)."""

import re
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Mailbox:
    user: str
    password: str
    messages: dict[int, bytes] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)
    folder: str = "INBOX"

    def add(self, raw: bytes) -> int:
        uid = max(self.messages, default=100) + 1
        self.messages[uid] = raw
        return uid


def _args(line: str) -> list[str]:
    return [a.strip('"') for a in re.findall(r'"(?:[^"\\]|\\.)*"|\S+', line)]


class _Handler(socketserver.StreamRequestHandler):
    mailbox: Mailbox

    def send(self, text: str | bytes) -> None:
        self.wfile.write(text if isinstance(text, bytes) else text.encode())

    def handle(self) -> None:
        box = self.mailbox
        authed = False
        self.send("* OK [CAPABILITY IMAP4rev1] test server ready\r\n")
        while line := self.rfile.readline().decode().rstrip("\r\n"):
            tag, command, *rest = [*_args(line), ""]
            command = command.upper()
            if command == "CAPABILITY":
                self.send(f"* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n")
            elif command == "LOGIN":
                authed = rest[:2] == [box.user, box.password]
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


@contextmanager
def imap_server(mailbox: Mailbox) -> Iterator[tuple[str, int]]:
    handler = type("Handler", (_Handler,), {"mailbox": mailbox})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[0], server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
