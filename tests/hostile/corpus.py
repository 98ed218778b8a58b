"""The hostile-input corpus: strings, JSON bodies, raw bodies, headers, Telegram updates and files that a
careless or malicious client may send. Each case has a short id (the pytest id); the tests in this folder
send them and check what the app answers and keeps."""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

# -- strings ------------------------------------------------------------------------------------------

TEXTS: dict[str, str] = {
    "script": "<script>alert(1)</script>",
    "img-onerror": '<img src=x onerror="alert(1)">',
    "docx-close-run": "</w:t></w:r><w:r><w:t>注入",
    "xml-entities": "&lt;&amp;&#0;&#x1F;&#xD800;]]>",
    "jinja-expr": "{{ 7*7 }}",
    "jinja-raw": "{% raw %}{{ name }}{% endraw %}",
    "jinja-docxtpl-tags": "{%p if true %}{%tr for x in y %}{{r name }}",
    "jinja-subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "jinja-comment": "{# 注释",
    "placeholder": "{name}{id_number}",
    "format-spec": "{0.__class__}%s%n%x",
    "sql": "'; DROP TABLE applications; --",
    "cel": 'title_level == "中级" || true',
    "lone-high": "\ud800",
    "lone-low-in-name": "张\udfff三",
    "surrogate-escapes": "\udc80\udcff",
    "reversed-pair": "\udc00\ud800",
    "nul": "\x00",
    "nul-in-name": "张\x00三",
    "ansi-escape": "\x1b[31m红\x1b[0m\x07",
    "c1-controls": "\x7f\x80\x85\x9f",
    "crlf": "工程\r\n技术\r",
    "vertical-tab-ff": "\x0b\x0c\x1c\x1d",
    "rtl-override": "\u202e三张\u202c",
    "bidi-isolates": "\u2066abc\u2069\u200f",
    "zero-width": "\u200b\u200d\u2060\ufeff",
    "noncharacters": "\uffff\ufffe\U0010ffff",
    "tag-characters": "\U000e0001\U000e0041",
    "emoji-10k": "😀" * 10_000,
    "emoji-1999": "😀" * 1_999,
    "zwj-family": "👨‍👩‍👧‍👦",
    "zalgo": "Z̴̡̢͈̞a̵͖̓l̸̰̎g̶̣̈́o̷̜͛",
    "nfd": "e\u0301\u5f20\u4e09",
    "long-2000": "长" * 2_000,
    "long-2001": "长" * 2_001,
    "long-line-60k": "x" * 60_000,
    "empty": "",
    "spaces": "   ",
    "ideographic-space": "\u3000\u3000",
    "newlines": "\n\n\n",
    "tabs": "\t\t",
    "number-overflow": "1e309",
    "nan-word": "NaN",
    "huge-digits": "9" * 500,
    "path-traversal": "../../etc/passwd",
    "windows-path": "C:\\Windows\\win.ini",
    "fullwidth": "ｓｃｒｉｐｔ　工程技术",
    "markdown-link": "[点我](javascript:alert(1))",
    "html-entities": "&#x3C;script&#x3E;",
    "slash-start": "/start cq_hgzy_2023",
    "slash-resume": "/resume \ud800",
    "id-with-nul": "50010119900101123X\x00",
    "backslashes": "\\\\\\u0000\\ud800",
    "quotes": "\"'`\u201c\u2018",
}

# -- JSON message bodies of the wrong shape -------------------------------------------------------------

MESSAGE_BODIES: dict[str, Any] = {
    "text-int": {"text": 1},
    "text-float": {"text": 1.5},
    "text-bool": {"text": True},
    "text-null": {"text": None},
    "text-list": {"text": ["工程技术"]},
    "text-object": {"text": {"a": "b"}},
    "command-int": {"command": 1},
    "command-list": {"command": ["back"]},
    "command-unknown": {"command": "shutdown"},
    "command-surrogate": {"command": "\ud800"},
    "command-long": {"command": "back" * 100},
    "command-arg-int": {"command": "edit", "arg": 5},
    "command-arg-object": {"command": "edit", "arg": {"field": "name"}},
    "command-arg-long": {"command": "edit", "arg": "x" * 101},
    "command-arg-hostile": {"command": "edit", "arg": "{{ 7*7 }}\x00\ud800"},
    "command-and-text": {"command": "back", "text": "工程技术"},
    "msg-id-int": {"text": "工程技术", "msg_id": 1},
    "msg-id-list": {"text": "工程技术", "msg_id": []},
    "msg-id-long": {"text": "工程技术", "msg_id": "m" * 101},
    "msg-id-surrogate": {"text": "工程技术", "msg_id": "\ud800\x00"},
    "missing-everything": {},
    "unknown-field-only": {"foo": "bar"},
    "list-body": ["工程技术"],
    "string-body": "工程技术",
    "null-body": None,
    "number-body": 12345,
    "extra-fields": {"text": "工程技术", "token": "x", "__proto__": {"admin": True}},
}

# -- raw bodies (not JSON, or JSON a parser may choke on) ------------------------------------------------


def _deep(depth: int, open_: bytes = b"[", close: bytes = b"]") -> bytes:
    return open_ * depth + close * depth


RAW_BODIES: dict[str, bytes] = {
    "empty": b"",
    "not-json": b"not json",
    "truncated": '{"text": "工程'.encode(),
    "invalid-utf8": b'{"text": "\xff\xfe"}',
    "cesu-surrogate-bytes": b'{"text": "\xed\xa0\x80"}',
    "overlong-utf8": b'{"text": "\xc0\xaf"}',
    "utf16": '{"text": "工程技术"}'.encode("utf-16"),
    "bom": b'\xef\xbb\xbf{"text": "\xe5\xb7\xa5"}',
    "nan": b'{"text": NaN}',
    "infinity": b'{"text": Infinity}',
    "float-overflow": b'{"text": 1e999}',
    "huge-int": b'{"text": 1' + b"0" * 5000 + b"}",
    "escaped-nul": b'{"text": "\\u0000"}',
    "escaped-lone-surrogate": b'{"text": "\\ud800"}',
    "escaped-pair": b'{"text": "\\ud83d\\ude00"}',
    "escaped-reversed-pair": b'{"text": "\\ude00\\ud83d"}',
    "duplicate-keys": b'{"text": "a", "text": "\\ud800"}',
    "deep-list-30000": _deep(30_000),
    "deep-object-10000": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "deep-in-field": b'{"text": ' + _deep(20_000) + b"}",
    "trailing-garbage": '{"text": "工程技术"} trailing'.encode(),
    "two-documents": b'{"text": "a"}{"text": "b"}',
    "just-whitespace": b" \n\t ",
    "nul-bytes": b"\x00" * 100,
    "binary": bytes(range(256)),
    "xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    "over-cap-64k": b'{"text": "' + b"x" * (64 * 1024) + b'"}',
}

CONTENT_TYPES: dict[str, tuple[bytes, str | None]] = {
    "text-plain": ('{"text": "工程技术"}'.encode(), "text/plain"),
    "form-urlencoded": (b"text=%E5%B7%A5", "application/x-www-form-urlencoded"),
    "multipart": (
        b"--b\r\nContent-Disposition: form-data; name=text\r\n\r\nx\r\n--b--",
        "multipart/form-data; boundary=b",
    ),
    "xml": (b"<text>x</text>", "application/xml"),
    "none": ('{"text": "工程技术"}'.encode(), None),
    "json-utf16-charset": ('{"text": "x"}'.encode("utf-16"), "application/json; charset=utf-16"),
    "json-garbage-params": (b'{"text": "x"}', "application/json;;;=;charset"),
    "vendor-json": (b'{"text": "x"}', "application/vnd.api+json"),
    "octet-stream": (b'{"text": "x"}', "application/octet-stream"),
}


def chunks(total: int, size: int = 64 * 1024, fill: bytes = b" ") -> Iterator[bytes]:
    """`total` bytes in chunks: sent without Content-Length (Transfer-Encoding: chunked)."""
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield fill * part


def chunked_json(text: str, pad: int) -> Iterator[bytes]:
    """A valid JSON message padded with `pad` bytes of whitespace, sent chunked."""
    yield b'{"text": "' + text.encode() + b'"'
    yield from chunks(pad)
    yield b"}"


# -- resume codes and campaigns ----------------------------------------------------------------------------

CODES: dict[str, Any] = {
    "lower": "zzzzzzzz",
    "surrogates": "\ud800" * 8,
    "nul": "ZZZZ\x00ZZZ",
    "rtl": "\u202eZZZZZZZZ",
    "fullwidth": "ＺＺＺＺＺＺＺＺ",
    "long": "Z" * 41,
    "int": 12345678,
    "list": ["ZZZZZZZZ"],
    "null": None,
    "sql": "' OR '1'='1",
    "jinja": "{{ 7*7 }}",
}
CAMPAIGNS: dict[str, Any] = {
    "unknown": "no_such_campaign",
    "traversal": "../../forms/cq_pro_to_skill",
    "surrogate": "cq_hgzy_2023\ud800",
    "nul": "cq_hgzy_2023\x00",
    "long": "c" * 101,
    "int": 2023,
    "object": {"id": "cq_hgzy_2023"},
    "jinja": "{{ 7*7 }}",
}

# -- X-Filename header values (percent-encoded as the chat page sends them, or raw bytes) ---------------------

FILENAMES: dict[str, str | bytes] = {
    "percent-surrogate": "%ED%A0%80.jpg",
    "percent-nul": "a%00b.jpg",
    "percent-rtl": "%E2%80%AEgpj.exe",
    "percent-controls": "%1B%5B31m%07%7F.jpg",
    "percent-newline": "a%0D%0Ab.jpg",
    "bad-percent": "%zz%.jpg%",
    "percent-traversal": "..%2F..%2Fetc%2Fpasswd",
    "long": "%E5%BC%A0" * 3000,
    "raw-latin1": b"\xe9t\xe9.jpg",
    "raw-utf8": "照片.jpg".encode(),
    "raw-surrogate-bytes": b"\xed\xa0\x80.jpg",
    "jinja": "%7B%7B%207*7%20%7D%7D.jpg",
    "empty": "",
}

# -- files -----------------------------------------------------------------------------------------------------


def jpeg(size: tuple[int, int] = (300, 400), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    out = io.BytesIO()
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "Evil Camera Corp"
        tags[0x8825] = {1: "N", 2: (29.0, 33.0, 0.0)}
        image.save(out, "JPEG", exif=tags)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def png(size: tuple[int, int] = (300, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(out, "PNG")
    return out.getvalue()


def image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(out, kind)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb, as far as a decoder knows)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


ZIP = b"PK\x03\x04" + b"\x00" * 26 + b"evil.html<script>alert(1)</script>" + b"PK\x05\x06" + b"\x00" * 18
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass(frozen=True)
class Upload:
    data: bytes
    headers: dict[str, Any] = field(default_factory=dict)
    accepted: bool = False  # a real photo: taken (re-encoded)


def uploads() -> dict[str, Upload]:
    rng = random.Random(20230920)
    good = jpeg()
    return {
        "zero-bytes": Upload(b""),
        "one-byte": Upload(b"\xff"),
        "random-1k": Upload(rng.randbytes(1024)),
        "random-200k": Upload(rng.randbytes(200 * 1024)),
        "jpeg-magic-then-random": Upload(b"\xff\xd8\xff\xe0" + rng.randbytes(4096)),
        "truncated-jpeg": Upload(good[: len(good) // 3]),
        "truncated-png": Upload(png()[:200], {"Content-Type": "image/png"}),
        "png-header-only": Upload(b"\x89PNG\r\n\x1a\n"),
        "png-bomb-header": Upload(png_claiming(100_000, 100_000), {"Content-Type": "image/png"}),
        "pdf-at-photo-question": Upload(PDF, {"Content-Type": "application/pdf"}),
        "gif": Upload(image("GIF"), {"Content-Type": "image/gif"}),
        "bmp": Upload(image("BMP"), {"Content-Type": "image/bmp"}),
        "webp": Upload(image("WEBP"), {"Content-Type": "image/webp"}),
        "svg-script": Upload(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        "html": Upload(b"<!doctype html><script>alert(1)</script>", {"Content-Type": "text/html"}),
        "gif-js-polyglot": Upload(b"GIF89a/*\x00\x00*/=alert(1)//;"),
        "jpeg-zip-polyglot": Upload(good + ZIP, accepted=True),
        "png-html-polyglot": Upload(
            png() + b"<script>alert(1)</script>", {"Content-Type": "image/png"}, accepted=True
        ),
        "jpeg-with-gps-exif": Upload(jpeg(exif=True), accepted=True),
        "jpeg-as-text-html": Upload(good, {"Content-Type": "text/html"}, accepted=True),
        "jpeg-no-content-type": Upload(good, {"Content-Type": None}, accepted=True),
        "jpeg-json-content-type": Upload(good, {"Content-Type": "application/json"}, accepted=True),
        "json-type-over-64k": Upload(rng.randbytes(100 * 1024), {"Content-Type": "application/json"}),
        "over-10mb": Upload(b"\xff\xd8" + b"\x00" * (10 * 1024 * 1024)),
    }


# -- Telegram updates (sent with the right secret) -----------------------------------------------------------------

DATE = 1695168000


def message(chat: int, **fields: Any) -> dict[str, Any]:
    return {
        "message_id": 1,
        "date": DATE,
        "chat": {"id": chat, "type": "private", "first_name": "张"},
        "from": {"id": chat, "is_bot": False, "first_name": "张"},
        **fields,
    }


def updates(chat: int) -> dict[str, Any]:
    """Update bodies without their update_id (the test numbers them); `chat` has an application open.
    A value of bytes is sent as the raw body instead."""
    ok = message(chat, text="工程技术")
    cases: dict[str, Any] = {
        "update-id-true": {"update_id": True, "message": ok},
        "update-id-string": {"update_id": "1", "message": ok},
        "update-id-float": {"update_id": 1.5, "message": ok},
        "update-id-negative": {"update_id": -1, "message": ok},
        "update-id-2-63": {"update_id": 2**63, "message": ok},
        "update-id-2-64": {"update_id": 2**64, "message": ok},
        "update-id-null": {"update_id": None, "message": ok},
        "update-id-missing": {"message": ok},
        "message-string": {"message": "工程技术"},
        "message-list": {"message": [ok]},
        "message-int": {"message": 1},
        "message-empty": {"message": {}},
        "date-string": {"message": {**ok, "date": "2023-09-20"}},
        "date-huge": {"message": {**ok, "date": 10**30}},
        "date-float": {"message": {**ok, "date": 1.5e9}},
        "chat-string": {"message": {**ok, "chat": "x"}},
        "chat-id-string": {"message": {**ok, "chat": {"id": "abc", "type": "private"}}},
        "chat-id-huge": {"message": {**ok, "chat": {"id": 2**70, "type": "private"}}},
        "chat-missing": {"message": {k: v for k, v in ok.items() if k != "chat"}},
        "from-string": {"message": {**ok, "from": "张三"}},
        "text-int": {"message": {**ok, "text": 5}},
        "text-list": {"message": {**ok, "text": ["a"]}},
        "caption-object": {"message": {**message(chat), "caption": {"a": 1}}},
        "photo-string": {"message": message(chat, photo="x")},
        "photo-ints": {"message": message(chat, photo=[1, 2])},
        "photo-empty-objects": {"message": message(chat, photo=[{}])},
        "document-string": {"message": message(chat, document="x")},
        "document-file-id-int": {"message": message(chat, document={"file_id": 1, "file_unique_id": "u"})},
        "callback-string": {"callback_query": "x"},
        "callback-empty": {"callback_query": {}},
        "callback-id-int": {"callback_query": {"id": 1, "from": {"id": chat}, "chat_instance": "c"}},
        "callback-data-object": {
            "callback_query": {
                "id": "q",
                "from": {"id": chat, "is_bot": False, "first_name": "张"},
                "chat_instance": "c",
                "data": {},
            }
        },
        "deep-nesting-40": {"message": ok, "extra": _nest(40)},
        "nan-in-body": b'{"update_id": 5, "message": NaN}',
        "infinity-id": b'{"update_id": 1e999}',
        "deep-30000": b'{"update_id": 5, "x": ' + _deep(30_000) + b"}",
        "not-json": b"not json",
        "empty-body": b"",
        "json-list": b"[1, 2]",
        "json-null": b"null",
        "invalid-utf8": b'{"update_id": 5, "message": "\xff"}',
        "huge-int-digits": b'{"update_id": 1' + b"0" * 5000 + b"}",
        # well-formed updates with hostile contents: accepted (200), cleaned, handled without an error
        "unknown-kind": {"something_new": {"x": 1}},
        "no-kind": {},
        "text-lone-surrogate": {"message": message(chat, text="\ud800")},
        "text-nul-controls": {"message": message(chat, text="张\x00三\x1b[31m")},
        "text-rtl": {"message": message(chat, text="\u202e三张")},
        "text-jinja": {"message": message(chat, text="{{ 7*7 }}{% raw %}")},
        "text-script": {"message": message(chat, text="<script>alert(1)</script>")},
        "text-4096-emoji": {"message": message(chat, text="😀" * 4_096)},  # Telegram's own limit
        "text-empty": {"message": message(chat, text="")},
        "command-resume-surrogate": {"message": message(chat, text="/resume \ud800\ud800")},
        "command-start-unknown": {"message": message(chat, text="/start ../../etc\x00")},
        "caption-hostile": {"message": message(chat, caption="\ud800\x00{{ 7*7 }}")},
        "document-name-hostile": {
            "message": message(
                chat,
                document={
                    "file_id": "nofile",
                    "file_unique_id": "u",
                    "file_name": "\u202egpj.exe\x00\ud800",
                    "mime_type": "\ud800",
                },
            )
        },
        "callback-data-surrogate": {
            "callback_query": {
                "id": "q1",
                "from": {"id": chat, "is_bot": False, "first_name": "张"},
                "chat_instance": "c",
                "data": "\ud800:1:2",
            }
        },
        "callback-data-garbage": {
            "callback_query": {
                "id": "q2",
                "from": {"id": chat, "is_bot": False, "first_name": "张"},
                "chat_instance": "c",
                "data": "x" * 64,
            }
        },
        "edited-message-hostile": {"edited_message": {**message(chat, text="\ud800"), "edit_date": DATE}},
        "group-command": {
            "message": {
                **message(chat, text="/start"),
                "chat": {"id": -100, "type": "supergroup", "title": "\ud800"},
            }
        },
        "channel-post": {
            "channel_post": {
                **message(-200, text="\x00"),
                "chat": {"id": -200, "type": "channel", "title": "c"},
            }
        },
    }
    return cases


def _nest(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value
