"""Lexware's date formats: strict yyyy-MM-dd in, RFC 3339 at Berlin midnight out."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value):
    """The date for a strict yyyy-MM-dd string, else None."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def berlin_midnight(value):
    day = date.fromisoformat(value)
    moment = datetime(day.year, day.month, day.day, tzinfo=BERLIN)
    return moment.isoformat(timespec="milliseconds")


def now_berlin():
    return datetime.now(BERLIN).isoformat(timespec="milliseconds")
