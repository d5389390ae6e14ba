"""A stand-in for a provider's HTTP endpoint on this machine: it records
each request and answers with the next canned answer (or the default)."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from civicgrid.notify.channels import channels


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


ALL = [
    "civicgrid.notify.channels.InApp",
    "civicgrid.notify.sms.TencentSms",
    "civicgrid.notify.robots.DingTalkRobot",
    "civicgrid.notify.robots.WeComRobot",
]


@pytest.fixture
def providers(settings):
    sms = StandIn(default=tencent_ok()).start()
    robots = StandIn(default={"errcode": 0, "errmsg": "ok"}).start()
    settings.NOTICE_CHANNELS = ALL
    settings.SMS_ENDPOINT = sms.url
    settings.SMS_SECRET_ID, settings.SMS_SECRET_KEY = "AKIDtest", "secret-key"
    settings.SMS_APP_ID, settings.SMS_SIGN_NAME = "1400000001", "城关区基层治理"
    settings.SMS_TEMPLATES = {"notice": "1001", "alarm": "1002"}
    settings.SMS_RECEIPT_TOKEN = "receipt-token-123"
    settings.DINGTALK_WEBHOOK = f"{robots.url}/robot/send?access_token=ding"
    settings.DINGTALK_SECRET = "SECdingtalk"
    settings.WECOM_WEBHOOK = f"{robots.url}/cgi-bin/webhook/send?key=wecom-key"
    settings.SITE_URL = "https://grid.example"
    channels.cache_clear()
    yield sms, robots
    sms.stop()
    robots.stop()
    channels.cache_clear()
