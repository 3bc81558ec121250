"""Lexware's search semantics: HTML-escaped values, LIKE wildcards, Spring pages."""

import html
import math
import re

from .errors import ApiError

MAX_PAGE_SIZE = 250
MAX_WINDOW = 10000


def escaped(value):
    """A stored value as Lexware compares it: clients send search strings HTML-escaped."""
    return html.escape(value, quote=False)


def like_pattern(value, substring):
    r"""A regex for a LIKE value: `%` any run, `_` one character, `\` escapes them."""
    parts = []
    chars = iter(value)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    pattern = "".join(parts)
    if substring:
        pattern = f".*{pattern}.*"
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


def paging(args):
    """(page, size) from the query; 400 on values Lexware refuses."""
    page = _non_negative(args, "page", 0)
    size = _non_negative(args, "size", 25)
    if size < 1 or size > MAX_PAGE_SIZE:
        raise ApiError(400, "Page size must be between 1 and 250", [("Range", "size", "1..250")])
    if page * size + size > MAX_WINDOW:
        raise ApiError(400, "Maximum search window size exceeded")
    return page, size


def _non_negative(args, name, default):
    raw = args.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise ApiError(400, f"Invalid value for {name}", [("TypeMismatch", name, raw)])
    return int(raw)


def spring_page(items, page, size, sort_property):
    total = len(items)
    content = items[page * size : page * size + size]
    pages = math.ceil(total / size)
    return {
        "content": content,
        "first": page == 0,
        "last": page >= pages - 1,
        "totalPages": pages,
        "totalElements": total,
        "numberOfElements": len(content),
        "size": size,
        "number": page,
        "sort": [
            {
                "property": sort_property,
                "direction": "ASC",
                "ignoreCase": False,
                "nullHandling": "NATIVE",
                "ascending": True,
            }
        ],
    }
