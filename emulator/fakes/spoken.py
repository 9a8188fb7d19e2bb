"""Numbers, dates, e-mail addresses and phone numbers as people say them on the phone.

"forty two", "three point five", "a hundred and twenty", "1,200"; "March 3rd 2026", "the 3rd of
March", "tomorrow", "next Friday at 3 pm"; "jane at example dot com"; "five five five, one two
three four". Read deterministically (dates relative to the day given — the emulator clock's),
for :mod:`emulator.fakes.extraction`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

UNITS = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
SCALES = {"thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WORD = re.compile(r"[A-Za-z]+|\d[\d,]*(?:\.\d+)?")
DIGITS = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w@])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
EMAIL_SPAN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[\w.+-]+(?:\s+dot\s+\w+)*\s+at\s+[\w-]+(?:\s+dot\s+\w+)+", re.I)
PHONE = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")

_ORD_WORDS = "|".join(sorted(ORDINALS, key=len, reverse=True))
_DAY = rf"(?P<day>\d{{1,2}}(?:st|nd|rd|th)?|(?:twenty|thirty)[\s-](?:{_ORD_WORDS})|{_ORD_WORDS})"
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?:,?\s+(?:of\s+)?(?P<year>\d{4}))?"
MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(?:the\s+)?{_DAY}\b{_YEAR}", re.I)
DAY_MONTH = re.compile(rf"\b(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}\b{_YEAR}", re.I)
ISO = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:[T\s](?P<hour>\d{2}):(?P<minute>\d{2})(?::\d{2})?Z?)?\b")
SLASHED = re.compile(r"\b(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{2}|\d{4})\b")
RELATIVE = re.compile(
    r"\b(?:the day after tomorrow|the day before yesterday|today|tonight|tomorrow|yesterday|next week|"
    r"in (?P<n>\w+) (?P<unit>days?|weeks?)|(?P<which>next|this|coming|on)?\s*(?P<weekday>" + "|".join(WEEKDAYS) + r"))\b",
    re.I,
)
_HOUR_WORDS = "|".join(k for k, v in UNITS.items() if 1 <= v <= 12)
CLOCK = re.compile(
    rf"\b(?:at\s+)?(?P<hour>\d{{1,2}}|{_HOUR_WORDS})(?::(?P<minute>\d{{2}})|\s+(?P<minword>thirty|fifteen|forty five))?\s*"
    r"(?P<half>a\.?m\.?|p\.?m\.?|o'clock)(?!\w)|\bat\s+(?P<h24>\d{1,2}):(?P<m24>\d{2})\b|\b(?:at\s+)?(?P<named>noon|midnight)\b",
    re.I,
)


class Number(NamedTuple):
    start: int
    end: int
    value: int | float


@dataclass
class When:
    day: date | None
    hour: int | None = None
    minute: int = 0
    spans: list[tuple[int, int]] = field(default_factory=list)


def numbers(text: str) -> list[Number]:
    """Every number in ``text``, in order: digits ("1,200", "3.5") and words ("forty two",
    "a hundred and twenty", "three point five"). A run of single digits said one by one
    ("five five five") is one number each."""
    found = [Number(m.start(), m.end(), _digits(m.group())) for m in DIGITS.finditer(text)]
    tokens = [(m.start(), m.end(), m.group().lower()) for m in re.finditer(r"[A-Za-z]+", text)]
    i = 0
    while i < len(tokens):
        got = _words_at(tokens, i, text)
        if got is None:
            i += 1
            continue
        j, value = got
        found.append(Number(tokens[i][0], tokens[j - 1][1], value))
        i = j
    return sorted(found)


def _digits(raw: str) -> int | float:
    raw = raw.replace(",", "")
    return float(raw) if "." in raw else int(raw)


def _words_at(tokens: list[tuple[int, int, str]], i: int, text: str) -> tuple[int, int | float] | None:
    """A number said in words starting at token ``i``: (index after it, value)."""
    total, current, last, j = 0, 0, "", i
    started = False
    while j < len(tokens):
        w = tokens[j][2]
        gap = text[tokens[j - 1][1]:tokens[j][0]] if j > i else ""
        if j > i and gap.strip(" -") != "":
            break
        if w in UNITS and last not in ("unit",) and not (last == "tens" and UNITS[w] >= 10):
            current += UNITS[w]
            last = "unit"
        elif w in TENS and last in ("", "scale", "hundred", "and"):
            current += TENS[w]
            last = "tens"
        elif w == "hundred" and last in ("unit", "a"):
            current = max(current, 1) * 100
            last = "hundred"
        elif w in SCALES and last in ("unit", "tens", "hundred", "a"):
            total += max(current, 1) * SCALES[w]
            current, last = 0, "scale"
        elif w == "a" and j + 1 < len(tokens) and tokens[j + 1][2] in ("hundred", *SCALES) and not started:
            current, last = 1, "a"
        elif w == "and" and last in ("hundred", "scale") and j + 1 < len(tokens) and (tokens[j + 1][2] in UNITS or tokens[j + 1][2] in TENS):
            last = "and"
        elif w == "point" and started and j + 1 < len(tokens) and tokens[j + 1][2] in UNITS:
            decimals = ""
            k = j + 1
            while k < len(tokens) and tokens[k][2] in UNITS and UNITS[tokens[k][2]] < 10:
                decimals += str(UNITS[tokens[k][2]])
                k += 1
            return k, float(f"{total + current}.{decimals}")
        else:
            break
        started = started or last in ("unit", "tens", "hundred", "scale")
        j += 1
    if not started:
        return None
    if last == "and":
        j -= 1
    if tokens[i][2] == "oh" and j == i + 1:
        return None  # "oh" alone is an interjection, not a zero
    return j, total + current


def _day_number(raw: str) -> int:
    raw = raw.lower().replace("-", " ")
    m = re.match(r"\d+", raw)
    if m:
        return int(m.group())
    parts = raw.split()
    return sum(TENS.get(p, 0) + ORDINALS.get(p, 0) for p in parts)


def _weekday_after(today: date, weekday: int, *, strictly: bool) -> date:
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead or (7 if strictly else 0))


def _date(text: str, today: date, free: Callable[[int, int], bool]) -> tuple[date, tuple[int, int]] | None:
    for pattern in (ISO, MONTH_DAY, DAY_MONTH, SLASHED):
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            month_raw = m.group("month")
            month = int(month_raw) if month_raw.isdigit() else MONTHS[month_raw.lower()]
            year = int(m.group("year")) if m.group("year") else today.year
            year += 2000 if year < 100 else 0
            try:
                return date(year, month, _day_number(m.group("day"))), (m.start(), m.end())
            except ValueError:
                continue
    for m in RELATIVE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        said = m.group().lower()
        shift = {"today": 0, "tonight": 0, "tomorrow": 1, "yesterday": -1, "the day after tomorrow": 2,
                 "the day before yesterday": -2, "next week": 7}.get(said)
        if shift is not None:
            return today + timedelta(days=shift), (m.start(), m.end())
        if m.group("weekday"):
            which = (m.group("which") or "").lower()
            day = _weekday_after(today, WEEKDAYS.index(m.group("weekday").lower()), strictly=which == "next")
            return day, (m.start(), m.end())
        counted = numbers(m.group("n"))
        if counted:
            days = int(counted[0].value) * (7 if m.group("unit").lower().startswith("week") else 1)
            return today + timedelta(days=days), (m.start(), m.end())
    return None


def _clock(text: str, free: Callable[[int, int], bool]) -> tuple[int, int, tuple[int, int]] | None:
    for m in CLOCK.finditer(text):
        if not free(m.start(), m.end()):
            continue
        if m.group("named"):
            return (12 if m.group("named").lower() == "noon" else 0), 0, (m.start(), m.end())
        if m.group("h24"):
            hour, minute = int(m.group("h24")), int(m.group("m24"))
        else:
            raw = m.group("hour").lower()
            hour = int(raw) if raw.isdigit() else UNITS[raw]
            words = {"thirty": 30, "fifteen": 15, "forty five": 45}
            minute = int(m.group("minute")) if m.group("minute") else words.get((m.group("minword") or "").lower(), 0)
            half = m.group("half").lower().replace(".", "")
            if half == "pm" and hour < 12:
                hour += 12
            elif half == "am" and hour == 12:
                hour = 0
        if 0 <= hour < 24 and 0 <= minute < 60:
            return hour, minute, (m.start(), m.end())
    return None


def when(text: str, today: date, free: Callable[[int, int], bool] = lambda a, b: True) -> When | None:
    """The date and/or time of day ``text`` names (spans not ``free`` are skipped)."""
    found = _date(text, today, free)
    clock = _clock(text, lambda a, b: free(a, b) and (found is None or b <= found[1][0] or a >= found[1][1]))
    if found is None and clock is None:
        return None
    out = When(day=found[0] if found else None)
    if found:
        out.spans.append(found[1])
    if clock:
        out.hour, out.minute = clock[0], clock[1]
        out.spans.append(clock[2])
    return out


def render(w: When, meaning: str, *, today: date | None = None) -> str | None:
    """ISO 8601: ``date`` → 2026-03-03, ``datetime`` → 2026-03-03T15:00:00Z, ``time`` → 15:00:00."""
    clock = f"{w.hour or 0:02d}:{w.minute:02d}:00"
    if meaning == "time":
        return clock if w.hour is not None else None
    day = w.day or today
    if day is None:
        return None
    return day.isoformat() if meaning == "date" else f"{day.isoformat()}T{clock}Z"


def email(phrase: str) -> str | None:
    """An address written ("jane@example.com") or spelled out ("jane at example dot com")."""
    m = EMAIL.search(phrase)
    if m:
        return m.group().rstrip(".")
    m = re.search(r"\b([\w.+-]+(?:\s+dot\s+\w+)*)\s+at\s+([\w-]+(?:\s+dot\s+\w+)+)", phrase, re.I)
    if m:
        return re.sub(r"\s+dot\s+", ".", f"{m.group(1)}@{m.group(2)}", flags=re.I).lower()
    return None


def phone(text: str) -> tuple[str, int, int] | None:
    """A phone number (at least 7 digits, written or said digit by digit) as ``+digits`` /
    ``digits``, with its span."""
    for m in PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if len(digits) >= 7:
            return ("+" if m.group().startswith("+") else "") + digits, m.start(), m.end()
    run: list[tuple[int, int, str]] = []
    for m in re.finditer(r"[A-Za-z]+|\d", text):
        w = m.group().lower()
        digit = w if w.isdigit() else str(UNITS[w]) if w in UNITS and UNITS[w] < 10 else None
        if digit is not None and (not run or text[run[-1][1]:m.start()].strip(" ,-") == ""):
            run.append((m.start(), m.end(), digit))
            continue
        if len(run) >= 7:
            break
        run = [(m.start(), m.end(), digit)] if digit is not None else []
    if len(run) >= 7:
        return "".join(d for _, _, d in run), run[0][0], run[-1][1]
    return None
