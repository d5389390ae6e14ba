"""The English translation: every message translated with its placeholders,
the committed .mo matching the .po, the catalogue up to date with the source,
and pages served in English when asked for and in Chinese by default."""

import gettext
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

import civicgrid

PACKAGE = Path(civicgrid.__file__).resolve().parent
MESSAGES = PACKAGE / "locale" / "en" / "LC_MESSAGES"
PO = MESSAGES / "django.po"
MO = MESSAGES / "django.mo"

# %(name)s, %(n)d, %(limit).0f and {name}; a bare %% is not a placeholder.
PLACEHOLDER = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|\{[A-Za-z_]\w*\}")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m[1], "\\" + m[1]), text[1:-1])


def read_po(path: Path) -> list[Entry]:
    """A small .po reader: msgctxt, msgid, msgid_plural, msgstr and msgstr[n],
    continuation lines and flags; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    entry, target = Entry(), None

    def flush():
        nonlocal entry
        if target is not None:
            entries.append(entry)
        entry = Entry()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            flush()
            target = None
        elif line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            kind, index = target
            value = _unquote(line)
            if kind == "msgstr":
                entry.msgstr[index] += value
            else:
                setattr(entry, kind, getattr(entry, kind) + value)
        else:
            keyword, _, rest = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match:
                target = ("msgstr", int(match[1]))
                entry.msgstr[target[1]] = _unquote(rest)
            elif keyword == "msgstr":
                target = ("msgstr", 0)
                entry.msgstr[0] = _unquote(rest)
            elif keyword in ("msgid", "msgid_plural", "msgctxt"):
                if keyword == "msgid":
                    entry.line = number
                target = (keyword, 0)
                setattr(entry, keyword, _unquote(rest))
            else:
                raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    flush()
    return entries


def messages(path: Path = PO) -> list[Entry]:
    return [entry for entry in read_po(path) if entry.msgid]


def header(path: Path = PO) -> dict[str, str]:
    (entry,) = [entry for entry in read_po(path) if not entry.msgid]
    assert "fuzzy" not in entry.flags, "the .po header is marked fuzzy"
    lines = [line.partition(":") for line in entry.msgstr[0].splitlines() if line]
    return {key.strip(): value.strip() for key, _, value in lines}


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.fixture(autouse=True)
def restore_language():
    """A request in English leaves English active in this thread; put back
    what was active so later tests still see Chinese."""
    before = translation.get_language()
    yield
    translation.activate(before)


def test_po_header():
    meta = header()
    assert meta["Language"] == "en"
    assert meta["Content-Type"] == "text/plain; charset=UTF-8"
    assert meta["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_every_message_is_translated_with_its_placeholders():
    entries = messages()
    assert len(entries) > 400
    problems = []
    for entry in entries:
        where = f"django.po:{entry.line} {entry.msgid!r}"
        if "fuzzy" in entry.flags:
            problems.append(f"{where}: fuzzy")
        forms = [0, 1] if entry.msgid_plural is not None else [0]
        if sorted(entry.msgstr) != forms:
            problems.append(f"{where}: expected msgstr forms {forms}, got {sorted(entry.msgstr)}")
        for index, text in entry.msgstr.items():
            if not text.strip():
                problems.append(f"{where}: msgstr[{index}] is empty")
                continue
            source = entry.msgid_plural if index and entry.msgid_plural else entry.msgid
            if placeholders(text) != placeholders(source):
                problems.append(
                    f"{where}: placeholders {placeholders(text)} != {placeholders(source)}"
                )
    assert not problems, "\n".join(problems)


def test_translations_keep_html_tags():
    tag = re.compile(r"</?[a-zA-Z][^>]*>")
    for entry in messages():
        for text in entry.msgstr.values():
            assert sorted(tag.findall(text)) == sorted(tag.findall(entry.msgid)), entry.msgid


def test_compiled_catalogue_matches_the_po():
    with MO.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert catalogue.info()["language"] == "en"
    stale = []
    for entry in messages():
        if entry.msgid_plural is not None:
            got = [
                catalogue.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                if entry.msgctxt
                else catalogue.ngettext(entry.msgid, entry.msgid_plural, n)
                for n in (1, 2)
            ]
            want = [entry.msgstr[0], entry.msgstr[1]]
        else:
            got = (
                catalogue.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt
                else catalogue.gettext(entry.msgid)
            )
            want = entry.msgstr[0]
        if got != want:
            stale.append(f"{entry.msgid!r}: .mo has {got!r}, .po has {want!r}")
    assert not stale, "django.mo is out of date; run compilemessages:\n" + "\n".join(stale)


# GNU gettext is installed by scripts/test; only a developer's bare machine skips.
@pytest.mark.skipif(
    shutil.which("xgettext") is None and not os.environ.get("CI"), reason="needs GNU gettext"
)
def test_catalogue_has_every_marked_string(tmp_path, settings, monkeypatch):
    """makemessages on a copy of the source finds nothing the .po lacks."""
    source = tmp_path / "civicgrid"
    for path in PACKAGE.rglob("*"):
        relative = path.relative_to(PACKAGE)
        if (
            path.is_file()
            and path.suffix in {".py", ".html", ".txt"}
            and not {"migrations", "locale", "node_modules", "__pycache__"} & set(relative.parts)
        ):
            (source / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, source / relative)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    (tmp_path / "locale").mkdir()
    monkeypatch.chdir(source)
    call_command(
        "makemessages",
        locale=["en"],
        extensions=["html", "py", "txt"],
        ignore_patterns=["*/migrations/*"],
        verbosity=0,
    )
    fresh = messages(tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po")
    known = {(entry.msgctxt, entry.msgid) for entry in messages()}
    missing = sorted(entry.msgid for entry in fresh if (entry.msgctxt, entry.msgid) not in known)
    assert not missing, (
        "New strings are not in locale/en/LC_MESSAGES/django.po; run makemessages -l en, "
        "translate them and compilemessages:\n" + "\n".join(missing)
    )


def test_login_page_is_chinese_by_default(db):
    page = Client().get(reverse("login")).content.decode()
    assert "登录" in page
    assert "Log in" not in page


def test_login_page_in_english_when_the_browser_asks(db):
    page = Client(headers={"Accept-Language": "en"}).get(reverse("login")).content.decode()
    assert '<html lang="en">' in page
    assert "Log in" in page and "Username" in page and "Password" in page
    assert "Community Governance Platform" in page
    assert "登录" not in page


def test_language_switch_persists(db):
    client = Client()
    response = client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    page = client.get(reverse("login")).content.decode()
    assert "Log in" in page and "登录" not in page


def test_logged_in_navigation_in_english(personas, registry, client_for):
    client = client_for(personas["staff_a"])
    page = client.get(reverse("home"), headers={"Accept-Language": "en"}).content.decode()
    for label in ["Home", "Places", "Households", "Residents", "Organisations", "Log out"]:
        assert f">{label}<" in page, label
    assert "Community staff" in page  # the role
    for chinese in ["首页", "退出", "管辖范围"]:
        assert chinese not in page


def test_logged_in_navigation_in_chinese_by_default(personas, registry, client_for):
    page = client_for(personas["staff_a"]).get(reverse("home")).content.decode()
    for label in ["首页", "地点", "户", "居民", "退出"]:
        assert f">{label}<" in page, label


def test_list_page_plurals_in_english(personas, registry, client_for):
    client = client_for(personas["staff_a"])
    page = client.get(reverse("registry:households"), headers={"Accept-Language": "en"})
    text = page.content.decode()
    assert "1 household" in text and "1 households" not in text
