"""Text messages (短信) through a pluggable sender.

Callers use `send(phone, text)`; which sender carries it is the dotted path in
``settings.SMS_SENDER`` (MINSHENG_SMS_SENDER):

- `ConsoleSender` (the default, and the demo's): writes the message to the log with the phone
  masked (138****5678), sends nothing;
- `HttpGatewaySender`: POSTs JSON to any SMS gateway's HTTP endpoint (MINSHENG_SMS_GATEWAY_URL)
  with a bearer key (MINSHENG_SMS_GATEWAY_KEY); the body is the template in
  MINSHENG_SMS_GATEWAY_TEMPLATE with ``{phone}`` and ``{text}`` filled in (JSON-escaped), so a
  district adapts it to its provider's field names without code; no vendor is wired in;
- any class of one's own with a ``send(phone, text)`` method (tests use a recording one).

A sender raises `SmsError` when the message could not be handed over; `send` passes it on.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

__all__ = ["ConsoleSender", "HttpGatewaySender", "Sender", "SmsError", "mask_phone", "send",
           "sender"]

log = logging.getLogger("minsheng.sms")
MAX_TEXT = 500  # characters; a longer message is cut (gateways split at 70 a part)


class SmsError(Exception):
    """The message could not be handed to the gateway."""


class Sender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


def mask_phone(phone: str) -> str:
    """The phone as logs may show it.

    >>> mask_phone("13812345678")
    '138****5678'
    >>> mask_phone("123")
    '***'
    """
    digits = "".join(ch for ch in str(phone) if ch.isdigit() or ch == "+")
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * len(digits)


class ConsoleSender:
    """Logs the message (phone masked) and sends nothing: the demo's and development's sender."""

    def send(self, phone: str, text: str) -> None:
        log.info("短信（未发送，控制台）→ %s：%s", mask_phone(phone), text)


class HttpGatewaySender:
    """POSTs the message to an HTTP SMS gateway configured in settings (URL, key, template)."""

    def __init__(self, url: str | None = None, key: str | None = None,
                 template: str | None = None, timeout: float = 10.0) -> None:
        self.url = settings.SMS_GATEWAY_URL if url is None else url
        self.key = settings.SMS_GATEWAY_KEY if key is None else key
        self.template = settings.SMS_GATEWAY_TEMPLATE if template is None else template
        self.timeout = timeout
        if not self.url.startswith(("https://", "http://")):
            raise SmsError("MINSHENG_SMS_GATEWAY_URL 未配置或不是 http(s) 地址")

    def body(self, phone: str, text: str) -> bytes:
        """The request body: the template with {phone} and {text} as JSON strings' contents.

        >>> HttpGatewaySender("https://sms.example/send", "k", '{"to": "{phone}", "msg": "{text}"}'
        ...                   ).body("13812345678", '说"好"')
        b'{"to": "13812345678", "msg": "\\\\u8bf4\\\\"\\\\u597d\\\\""}'
        """
        fill = {"phone": json.dumps(phone)[1:-1], "text": json.dumps(text)[1:-1]}
        out = self.template
        for name, value in fill.items():
            out = out.replace("{" + name + "}", value)
        json.loads(out)  # a template that is not JSON fails here, not at the gateway
        return out.encode()

    def send(self, phone: str, text: str) -> None:
        req = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url, data=self.body(phone, text), method="POST",
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {self.key}"} if self.key else {})})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                if not 200 <= resp.status < 300:
                    raise SmsError(f"短信网关返回 {resp.status}")
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            raise SmsError(f"短信网关不可用：{e}") from e
        log.info("短信已提交网关 → %s", mask_phone(phone))


def sender() -> Sender:
    """The configured sender (settings.SMS_SENDER, a dotted path to a class)."""
    return import_string(settings.SMS_SENDER)()


def send(phone: str, text: str) -> None:
    """Send `text` to `phone` through the configured sender (control characters removed)."""
    clean = "".join(ch for ch in text if ch.isprintable() or ch == "\n")[:MAX_TEXT]
    sender().send(phone, clean)
