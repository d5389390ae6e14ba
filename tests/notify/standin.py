"""A stand-in for a provider's HTTP endpoint on this machine: it records
each request and answers with the next canned answer (or the default)."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class StandIn:
    default: dict
    answers: list = field(default_factory=list)
    seen: list = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "StandIn":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                standin.seen.append(Seen("POST", self.path, dict(self.headers), body))
                answer = standin.answers.pop(0) if standin.answers else standin.default
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def tencent_ok(serial="2433:1234567890", phone="+8613800000000") -> dict:
    status = {
        "SerialNo": serial, "PhoneNumber": phone, "Fee": 1, "SessionContext": "",
        "Code": "Ok", "Message": "send success", "IsoCode": "CN",
    }  # fmt: skip
    return {"Response": {"SendStatusSet": [status], "RequestId": "req-1"}}


def tencent_status(code: str, message: str = "") -> dict:
    status = {
        "SerialNo": "", "PhoneNumber": "+8613800000000", "Fee": 0, "SessionContext": "",
        "Code": code, "Message": message or code, "IsoCode": "CN",
    }  # fmt: skip
    return {"Response": {"SendStatusSet": [status], "RequestId": "req-2"}}
