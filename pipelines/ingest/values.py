"""Vectorised parsing of the cell values real exports contain.

Every parser takes a column (a ``pd.Series`` of ``str``/``None`` cells, as ``readers.RawTable``
produces) and works on the whole column at once with pyarrow compute kernels (RE2 regular
expressions, casts) and numpy arithmetic: no Python loop over rows. Each returns the parsed
values and a mask of the cells that were *not empty* but could not be parsed, so the caller can
show them to the user. Nothing is ever guessed: an unknown label is a failure, and slash dates
whose day/month order the column itself cannot settle are reported as ``order='ambiguous'``
(unless the column writes its dates another way, such as ISO: then those few are failures).

Empty cells are ``None``/NaN, ``''``, whitespace, ``NA``, ``N/A``, ``-`` and ``None`` (any case);
they parse to missing and are never failures. ``TBC``, ``?`` and the like are failures.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from anyascii import anyascii

# "NV" / "ND": MS Project's "NA" in German and in French, Spanish and Italian
EMPTY_TOKENS: tuple[str, ...] = ("", "na", "n/a", "-", "none", "nv", "nd")
_EMPTY_SET = pa.array(list(EMPTY_TOKENS), type=pa.large_string())

# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------


def _series(values: pd.Series | Iterable) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)


def _text(values: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """The column as a trimmed pyarrow string array, and the mask of empty cells."""
    text = values.astype("str")  # pandas 3: arrow-backed strings, missing stays missing
    arr = pa.array(text.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.cast(arr, pa.large_string())
    arr = pc.utf8_trim_whitespace(arr)
    empty = _np_bool(pc.is_null(arr))
    short = np.flatnonzero(_np_bool(pc.less_equal(pc.utf8_length(arr), 4)))  # 'n/a', 'none'
    if short.size:
        cand = pc.utf8_lower(arr.take(pa.array(short)))
        empty[short[_np_bool(pc.is_in(cand, value_set=_EMPTY_SET))]] = True
    return arr, empty


def _np_bool(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _key(arr: pa.Array) -> pa.Array:
    """Lower case, whitespace runs collapsed to one space (for label look-ups)."""
    arr = pc.utf8_lower(arr)
    arr = pc.replace_substring_regex(arr, r"[\s\x{00A0}]+", " ")
    return pc.utf8_trim_whitespace(arr)


def _lookup(keys: pa.Array, table: dict[str, object]) -> tuple[np.ndarray, np.ndarray]:
    """Index of every key in ``table`` (vectorised): (positions, found mask)."""
    names = pa.array(list(table), type=pa.large_string())
    pos = pc.index_in(keys, value_set=names)
    found = _np_bool(pc.is_valid(pos))
    return np.asarray(pc.fill_null(pos, 0).to_numpy(zero_copy_only=False), dtype=np.int64), found


def _ints(arr: pa.Array) -> np.ndarray:
    filled = pc.if_else(pc.equal(pc.fill_null(arr, ""), ""), "0", arr)
    return np.asarray(pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


# --------------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------------


@dataclass
class DateParse:
    """Result of :func:`parse_dates`.

    ``order`` is ``'dayfirst'``/``'monthfirst'`` when the column has numeric d/m dates and the
    order was settled (by the values or the ``order=`` argument), ``'ambiguous'`` when the column
    has numeric d/m dates that fit either order (the caller must ask the user, then call again
    with ``order=``), ``'iso'`` when every parsed value was in a format without a day/month
    question (ISO, month names, Excel serials), ``'none'`` when nothing parsed. ``formats`` lists
    the formats found (strftime notation), commonest first. ``ambiguous`` marks cells left NaT only
    because the order is unknown; under ``'iso'`` they are ``failed`` too (``stray``): numeric d/m
    dates in a column whose commonest way of writing dates has no day/month question.
    """

    dates: pd.Series
    failed: pd.Series
    order: str
    formats: list[str]
    ambiguous: pd.Series | None = None
    serial: pd.Series | None = None  # cells read as Excel day numbers

    @property
    def stray(self) -> pd.Series:
        """Cells failed only because their day/month order is unknown in a column that writes its
        dates another way (``2026-01-05`` beside one ``05/01/2026``)."""
        if self.ambiguous is None:
            return pd.Series(False, index=self.failed.index)
        return self.ambiguous & self.failed


# a weekday before a date: English ("Thu", "Thursday") or German ("Do", "Donnerstag": MS Project de)
_WD = (r"(?:(?P<wd>(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}|dienstag|mittwoch|donnerstag|freitag|samstag"
       r"|sonnabend|sonntag|mo|di|mi|do|fr|sa|so)\.?,?\s+)?")
_TIME = (
    r"(?:(?P<tsep>\s*,\s*|\s+|t)(?P<H>\d{1,2}):(?P<M>\d{2})"
    r"(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?"
    r"\s*(?P<P>[ap]\.?m\.?)?\s*(?P<Z>z|(?:utc|gmt)(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2})?)?"
)
_FAMILIES: dict[str, str] = {
    # 2025-03-09, 2025-03-09 14:05:00, 2025-03-09T14:05:00Z, 2025/03/09
    "ymd": r"(?i)^(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME + "$",
    # 09/03/2025, 9/3/25, 3/9/2025 2:05:00 PM, Thu 14/08/25, 09.03.2025
    "num": r"(?i)^" + _WD + r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})"
    + _TIME + "$",
    # 09/Mar/25 09:00 AM, 14 August 2025, 14-Aug-2025, Thu 14 Aug 2025
    "dmon": r"(?i)^" + _WD + r"(?P<d>\d{1,2})(?:st|nd|rd|th)?(?P<sep>[-/. ]+)(?P<mon>[a-zä]{3,9})"
    r"\.?[-/. ,]+(?P<y>\d{4}|\d{2})" + _TIME + "$",
    # August 14, 2025; Aug 14 2025
    "mond": r"(?i)^" + _WD + r"(?P<mon>[a-zä]{3,9})\.?(?P<sep>[ -])(?P<d>\d{1,2})(?:st|nd|rd|th)?,?"
    r"[ -](?P<y>\d{4})" + _TIME + "$",
    # 46027, 46027.5: Excel's day number of a cell not formatted as a date (read only when asked)
    "serial": r"^(?P<days>\d{5})(?P<frac>\.\d{1,15})?$",
}
EXCEL_SERIAL = "Excel day number"
_EXCEL_EPOCH_DAYS = -25569  # 1899-12-30, Excel's day 0 (1900 date system), in days since 1970-01-01
_MONTHS: dict[str, int] = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9,
    "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12,
    "december": 12,
    # German (Jira and MS Project for German-speaking users): the rest are spelt as in English
    "januar": 1, "jän": 1, "jänner": 1, "februar": 2, "mär": 3, "märz": 3, "maerz": 3, "mrz": 3,
    "mai": 5, "juni": 6, "juli": 7, "okt": 10, "oktober": 10, "dez": 12, "dezember": 12,
}
_MONTH_FULL = {"january", "february", "march", "april", "june", "july", "august", "september",
               "october", "november", "december", "januar", "jänner", "februar", "märz", "juni", "juli",
               "oktober", "dezember"}
_MONTH_NUMBERS = np.array(list(_MONTHS.values()), dtype=np.int64)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_SEPS = ["-", "/", ".", " "]
_NS_PER_S = 1_000_000_000
DATE_ORDERS = ("dayfirst", "monthfirst")


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _valid_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    ok = (y >= 1678) & (y <= 2261) & (m >= 1) & (m <= 12) & (d >= 1)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    dim = _DAYS_IN_MONTH[np.clip(m, 0, 12)] + ((m == 2) & leap)
    return ok & (d <= dim)


@dataclass
class _Time:
    ns: np.ndarray  # nanoseconds since midnight, as written
    ok: np.ndarray
    code: np.ndarray  # feature bits for the format description


def _time(parts: pa.StructArray) -> _Time:
    hour_text = parts.field("H")
    has_time = _np_bool(pc.not_equal(hour_text, ""))
    hour, minute, second = _ints(hour_text), _ints(parts.field("M")), _ints(parts.field("S"))
    frac = _ints(pc.utf8_rpad(parts.field("F"), width=9, padding="0"))
    meridiem = pc.utf8_lower(pc.replace_substring(parts.field("P"), ".", ""))
    has_p = _np_bool(pc.not_equal(meridiem, ""))
    pm = _np_bool(pc.equal(meridiem, "pm"))
    ok = (minute <= 59) & (second <= 59)
    ok &= np.where(has_p, (hour >= 1) & (hour <= 12), hour <= 23)
    hour = np.where(has_p, hour % 12 + 12 * pm, hour)
    zone = pc.utf8_lower(parts.field("Z"))
    has_zone = _np_bool(pc.not_equal(zone, ""))
    is_offset = np.zeros(len(hour), dtype=bool)
    zpos = np.flatnonzero(has_zone)
    if zpos.size:  # Z, UTC, GMT, +01:00, +0100, GMT+1, UTC-05:30
        zp = pc.extract_regex(zone.take(pa.array(zpos)),
                              r"^(?:z|utc|gmt)?(?P<sign>[+-]?)(?P<h>\d{1,2}?):?(?P<m>\d{2})?$")
        off_h, off_m = _ints(zp.field("h")), _ints(zp.field("m"))
        is_offset[zpos] = _np_bool(pc.not_equal(zp.field("sign"), ""))
        ok[zpos] &= (off_h <= 14) & (off_m <= 59)
    # the time as written, its offset only checked: the day a person saw in their tool is the day
    # (an issue raised at 00:30 on 1 October, +02:00, is 1 October's, not 30 September's in UTC)
    ns = (hour * 3600 + minute * 60 + second) * _NS_PER_S + frac
    t_sep = _np_bool(pc.equal(pc.utf8_lower(parts.field("tsep")), "t"))
    has_s = _np_bool(pc.not_equal(parts.field("S"), ""))
    has_f = _np_bool(pc.not_equal(parts.field("F"), ""))
    code = (has_time * 1 | has_s * 2 | has_f * 4 | has_p * 8 | t_sep * 16
            | (has_zone & ~is_offset) * 32 | is_offset * 64)
    return _Time(ns=ns, ok=ok, code=code.astype(np.int64))


def _time_format(code: int) -> str:
    if not code & 1:
        return ""
    out = "T" if code & 16 else " "
    out += "%I:%M" if code & 8 else "%H:%M"
    if code & 2:
        out += ":%S"
    if code & 4:
        out += ".%f"
    if code & 8:
        out += " %p"
    if code & 32:
        out += "Z"
    if code & 64:
        out += "%z"
    return out


def _year(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Four-digit years; two-digit years pivot as strptime's %y does (69-99 -> 19xx)."""
    y = _ints(text)
    short = _np_bool(pc.equal(pc.utf8_length(text), 2))
    return np.where(short, np.where(y < 69, 2000 + y, 1900 + y), y), short


def _sep_code(parts: pa.StructArray) -> np.ndarray:
    first = pc.utf8_slice_codeunits(parts.field("sep"), 0, 1)
    pos = pc.index_in(first, value_set=pa.array(_SEPS, type=pa.large_string()))
    return np.asarray(pc.fill_null(pos, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


# a weekday by its first two letters, English or German (no two of them share a pair)
_WEEKDAYS = {"mo": 0, "tu": 1, "di": 1, "we": 2, "mi": 2, "th": 3, "do": 3, "fr": 4, "sa": 5, "su": 6, "so": 6}
_WEEKDAY_NUMBERS = np.array(list(_WEEKDAYS.values()), dtype=np.int64)


def _written_weekday(parts: pa.StructArray) -> np.ndarray:
    """The weekday written before a date (Monday 0 ... Sunday 6), -1 where none is."""
    pos, known = _lookup(pc.utf8_slice_codeunits(pc.utf8_lower(parts.field("wd")), 0, 2), _WEEKDAYS)
    return np.where(known, _WEEKDAY_NUMBERS[pos], -1)


def _weekday_of(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Monday 0 ... Sunday 6 (1970-01-01 was a Thursday)."""
    return (_days_from_civil(y, m, d) + 3) % 7


def _weekday_bits(parts: pa.StructArray) -> np.ndarray:
    length = np.asarray(pc.utf8_length(parts.field("wd")).to_numpy(zero_copy_only=False))
    return (length > 0) * 1 + (length > 3) * 2


def _describe(family: str, order: str, combined: int) -> str:
    code, t = combined >> 7, _time_format(combined & 127)
    wd_bits, sep, short_year, mon_full = code & 3, _SEPS[(code >> 2) & 3], code >> 4 & 1, code >> 5 & 1
    wd = {0: "", 1: "%a ", 3: "%A "}.get(wd_bits, "%a ")
    y = "%y" if short_year else "%Y"
    mon = "%B" if mon_full else "%b"
    if family == "ymd":
        return f"%Y{sep}%m{sep}%d{t}"
    if family == "num":
        d_first, m_first = f"{wd}%d{sep}%m{sep}{y}{t}", f"{wd}%m{sep}%d{sep}{y}{t}"
        if order == "dayfirst":
            return d_first
        if order == "monthfirst":
            return m_first
        return f"{d_first} or {m_first}"
    if family == "dmon":
        return f"{wd}%d{sep}{mon}{sep}{y}{t}"
    return f"{wd}{mon} %d, %Y{t}"


def parse_dates(values: pd.Series, *, order: str | None = None, serials: bool = False) -> DateParse:
    """Parse a column of dates written in any of the formats real tools export.

    ``order`` forces the day/month order of numeric dates (``'dayfirst'``/``'monthfirst'``);
    ``None`` (or ``'iso'``, ``'ambiguous'``, ``'none'`` handed back from an earlier result) lets
    the column decide: a first number above 12 is evidence of day-first, a second number above
    12 of month-first, a weekday written before it (``Mon 02/03/26``) of the order whose date falls
    on it; the majority wins and values contradicting it are failed (as is a numeric date whose
    written weekday is not its own, whatever the order). With no
    evidence (or a tie) the numeric dates are left NaT, not failed, and ``order='ambiguous'`` --
    unless more of the column's rows are written in a format without the question (ISO, month
    names): then the order is asked only where it is ambiguous, which is nowhere in that column's
    own format, and the few numeric dates are failed (``stray``).
    Times are kept as written: an offset (``Z``, ``+01:00``, ``GMT+1``) is checked and dropped, not
    applied, so a date is the day the tool showed where it was written.
    ``serials`` also reads five-digit numbers as Excel day numbers (46027 is 2026-01-05): only for
    a column known to hold dates, since any number would otherwise pass for one.
    """
    if order in (None, "iso", "ambiguous", "none"):
        order = None
    elif order not in DATE_ORDERS:
        raise ValueError(f"order must be 'dayfirst' or 'monthfirst', not {order!r}")
    series = _series(values)
    index = series.index
    n = len(series)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        dates = series
        if getattr(series.dt, "tz", None) is not None:
            dates = series.dt.tz_convert("UTC").dt.tz_localize(None)
        dates = dates.astype("datetime64[ns]")
        false = pd.Series(np.zeros(n, dtype=bool), index=index)
        return DateParse(dates, false, "iso" if dates.notna().any() else "none",
                         ["datetime"] if dates.notna().any() else [], false.copy(), false.copy())

    rows, empty = _text(series)
    # a long column repeats few dates: each distinct text is parsed once and counts for its rows
    # (in the day/month vote and the formats found); an empty cell's code -1 is the spare last slot
    codes, arr, weight = _distinct(rows, empty)
    k = len(arr)
    ns = np.full(k + 1, np.iinfo(np.int64).min, dtype=np.int64)  # NaT
    parsed = np.zeros(k + 1, dtype=bool)
    ambiguous = np.zeros(k + 1, dtype=bool)
    failed = np.zeros(k + 1, dtype=bool)
    todo = np.arange(k)
    found: list[tuple[int, str]] = []  # (count, format)
    undecided: list[tuple[int, str]] = []  # formats of the numeric dates the column did not settle
    numeric = np.zeros(k + 1, dtype=bool)
    serial = np.zeros(k + 1, dtype=bool)
    decided = order

    for family, pattern in _FAMILIES.items():
        if todo.size == 0:
            break
        if family == "serial" and not serials:
            continue
        sub = arr.take(pa.array(todo)) if todo.size != k else arr
        # a plain match (DFA, fast) first; capture groups only on the rows that match
        hit = _np_bool(pc.match_substring_regex(sub, pattern))
        if not hit.any():
            continue
        pos = todo[hit]
        todo = todo[~hit]
        parts = pc.extract_regex(sub.filter(pa.array(hit)) if pos.size != len(sub) else sub,
                                 pattern)
        if family == "serial":
            ns[pos] = _serial_ns(parts)
            parsed[pos] = serial[pos] = True
            found.append((int(weight[pos].sum()), EXCEL_SERIAL))
            continue
        clock = _time(parts)
        said = True  # the date is the weekday written with it, if any
        code = _sep_code(parts) << 2
        if family == "ymd":
            y, m, d = _ints(parts.field("y")), _ints(parts.field("m")), _ints(parts.field("d"))
        elif family == "num":
            numeric[pos] = True
            code |= _weekday_bits(parts)
            y, short = _year(parts.field("y"))
            code |= short * 16
            a, b = _ints(parts.field("a")), _ints(parts.field("b"))
            written = _written_weekday(parts)
            if decided is None:
                # evidence: a number above 12, or a written weekday only one order's date falls on
                # (MS Project's "Mon 02/03/26": 2 March 2026 is a Monday, 3 February a Tuesday)
                fits_day = (written >= 0) & _valid_ymd(y, b, a) & (_weekday_of(y, b, a) == written)
                fits_month = (written >= 0) & _valid_ymd(y, a, b) & (_weekday_of(y, a, b) == written)
                votes_day = int(weight[pos][((a > 12) & (b <= 12)) | (fits_day & ~fits_month)].sum())
                votes_month = int(weight[pos][((b > 12) & (a <= 12)) | (fits_month & ~fits_day)].sum())
                if votes_day > votes_month:
                    decided = "dayfirst"
                elif votes_month > votes_day:
                    decided = "monthfirst"
            if decided is None:
                either = _valid_ymd(y, b, a) | _valid_ymd(y, a, b)
                either &= clock.ok
                ambiguous[pos[either]] = True
                failed[pos[~either]] = True
                for c, count in _counts(((code << 7) | clock.code)[either], weight[pos[either]]):
                    undecided.append((int(count), _describe(family, "ambiguous", int(c))))
                continue
            d, m = (a, b) if decided == "dayfirst" else (b, a)
            said = (written < 0) | (_weekday_of(y, m, d) == written)  # "Mon" on a Tuesday: a wrong order
        else:
            code |= _weekday_bits(parts)
            mon = pc.utf8_lower(parts.field("mon"))
            mon_pos, mon_ok = _lookup(mon, _MONTHS)
            m = np.where(mon_ok, _MONTH_NUMBERS[mon_pos], 0)
            code |= _np_bool(pc.is_in(mon, value_set=pa.array(sorted(_MONTH_FULL)))) * 32
            d = _ints(parts.field("d"))
            y, short = _year(parts.field("y"))
            code |= short * 16
        ok = _valid_ymd(y, m, d) & clock.ok & said
        days = _days_from_civil(y, m, d)
        ns[pos[ok]] = (days * 86_400 * _NS_PER_S + clock.ns)[ok]
        parsed[pos[ok]] = True
        failed[pos[~ok]] = True
        for c, count in _counts(((code << 7) | clock.code)[ok], weight[pos[ok]]):
            found.append((int(count), _describe(family, decided or "", int(c))))

    failed[todo] = True
    if ambiguous.any() and weight[(parsed & ~numeric)[:k]].sum() > weight[ambiguous[:k]].sum():
        failed |= ambiguous  # the column's own format has no day/month question: these few are errors
    elif ambiguous.any():
        found += undecided
    if decided is not None and numeric.any():
        result_order = decided
    elif ambiguous.any() and not failed[ambiguous].any():
        result_order = "ambiguous"
    else:
        result_order = "iso" if parsed.any() else "none"
    formats: list[str] = []
    for _, fmt in sorted(found, key=lambda item: -item[0]):
        if fmt not in formats:
            formats.append(fmt)
    dates = pd.Series(ns[codes].view("datetime64[ns]"), index=index, name=series.name)
    return DateParse(
        dates=dates,
        failed=pd.Series(failed[codes], index=index, name=series.name),
        order=result_order,
        formats=formats,
        ambiguous=pd.Series(ambiguous[codes], index=index, name=series.name),
        serial=pd.Series(serial[codes], index=index, name=series.name),
    )


def _serial_ns(parts: pa.StructArray) -> np.ndarray:
    """Nanoseconds since 1970 of Excel day numbers (the fraction is the time of day, to the second)."""
    days = _ints(parts.field("days")) + _EXCEL_EPOCH_DAYS
    zero = pa.scalar("0", pa.large_string())
    fraction = pc.cast(pc.binary_join_element_wise(zero, parts.field("frac"), pa.scalar("", pa.large_string())),
                       pa.float64())
    seconds = np.rint(np.asarray(fraction.to_numpy(zero_copy_only=False)) * 86_400).astype(np.int64)
    return (days * 86_400 + seconds) * _NS_PER_S


def _distinct(rows: pa.Array, empty: np.ndarray) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """(each row's code, -1 where empty; the distinct texts of the other rows; rows per text)."""
    filled = np.flatnonzero(~empty)
    codes = np.full(len(rows), -1, dtype=np.int64)
    if filled.size == 0:
        return codes, rows.slice(0, 0), np.zeros(0, dtype=np.int64)
    encoded = pc.dictionary_encode(rows.take(pa.array(filled)) if filled.size != len(rows) else rows)
    codes[filled] = encoded.indices.to_numpy(zero_copy_only=False)
    return codes, encoded.dictionary, np.bincount(codes[filled], minlength=len(encoded.dictionary))


def _counts(keys: np.ndarray, weight: np.ndarray):
    """(key, total weight) of each distinct key, in key order (np.unique's counts, weighted)."""
    distinct, inverse = np.unique(keys, return_inverse=True)
    totals = np.bincount(inverse, weights=weight, minlength=len(distinct))
    return zip(distinct, totals.astype(np.int64))


# --------------------------------------------------------------------------------------------
# numbers, Likert answers, yes/no, severity
# --------------------------------------------------------------------------------------------

_PLAIN_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_DECIMAL_COMMA = r"^[+-]?\d+,(?:\d{1,2}|\d{4,})$"  # 4,5  4,50 (but not 1,234)
_THOUSANDS = r"^[+-]?\d{1,3}(?:,\d{3})+\.\d+$|^[+-]?\d{1,3}(?:,\d{3}){2,}$"  # 1,234.5 1,234,567


def _numbers(arr: pa.Array, empty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    plain = _np_bool(pc.match_substring_regex(arr, _PLAIN_NUMBER))
    comma = _np_bool(pc.match_substring_regex(arr, _DECIMAL_COMMA))
    thousands = _np_bool(pc.match_substring_regex(arr, _THOUSANDS))
    text = pc.if_else(pa.array(comma), pc.replace_substring(arr, ",", "."), arr)
    text = pc.if_else(pa.array(thousands), pc.replace_substring(text, ",", ""), text)
    ok = (plain | comma | thousands) & ~empty
    text = pc.if_else(pa.array(ok), text, pa.scalar(None, pa.large_string()))
    out = np.asarray(pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    return out, ok


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers as float (NaN when empty or failed) and the mask of failed cells.

    Accepts ``4``, ``4.0``, `` 4 ``, ``-2``, ``1e3``, a decimal comma (``4,5``) and comma thousands
    separators when unmistakable (``1,234.5``, ``1,234,567``). ``1,234`` alone could be either,
    so it fails rather than being guessed.
    """
    series = _series(values)
    arr, empty = _text(series)
    out, ok = _numbers(arr, empty)
    return (pd.Series(out, index=series.index, name=series.name),
            pd.Series(~empty & ~ok, index=series.index, name=series.name))


# "1-5", "1 – 5", "1 to 5", "1..7", "(0-10)"; "5-point", "7 pt" (then from 1)
_SCALE_RANGE = r"(?i)(?:^|[^\d.])(?P<lo>\d{1,2})\s*(?:-|\x{2013}|\x{2014}|\.\.|to)\s*(?P<hi>\d{1,2})(?:$|[^\d.%])"
_SCALE_POINTS = r"(?i)(?:^|\D)(?P<n>\d{1,2})\s*-?\s*(?:points?|pt)\b"


def parse_scale(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Answer scales written as text: (lowest, highest, mask of failed cells). ``1-5``, ``1–5``,
    ``1 to 5``, ``1..7`` and ``Agree (1-5)`` give their two ends; ``5-point`` and ``7 pt`` give 1 to
    the number. A range whose top is not above its bottom fails."""
    series = _series(values)
    arr, empty = _text(series)
    found = pc.extract_regex(arr, _SCALE_RANGE)
    has_range = _np_bool(pc.is_valid(found))
    lo = _ints(pc.if_else(pa.array(has_range), pc.struct_field(found, [0]), "")).astype(float)
    hi = _ints(pc.if_else(pa.array(has_range), pc.struct_field(found, [1]), "")).astype(float)
    points = pc.extract_regex(arr, _SCALE_POINTS)
    by_points = _np_bool(pc.is_valid(points)) & ~has_range
    n = _ints(pc.if_else(pa.array(by_points), pc.struct_field(points, [0]), "")).astype(float)
    lo, hi = np.where(by_points, 1.0, lo), np.where(by_points, n, hi)
    ok = (has_range | by_points) & (hi > lo) & ~empty
    return (pd.Series(np.where(ok, lo, np.nan), index=series.index, name=series.name),
            pd.Series(np.where(ok, hi, np.nan), index=series.index, name=series.name),
            pd.Series(~empty & ~ok, index=series.index, name=series.name))


_NEITHER = ("neither agree nor disagree", "neither agree or disagree", "neutral",
            "neither disagree nor agree")
LIKERT_LABELS: dict[int, dict[str, int]] = {
    # 5-point: the classic wording, and Qualtrics' default (somewhat ...) wording
    5: {"strongly disagree": 1, "disagree": 2, "somewhat disagree": 2, **{k: 3 for k in _NEITHER},
        "agree": 4, "somewhat agree": 4, "strongly agree": 5},
    7: {"strongly disagree": 1, "disagree": 2, "somewhat disagree": 3, **{k: 4 for k in _NEITHER},
        "somewhat agree": 5, "agree": 6, "strongly agree": 7},
}
_NUMBERED = r"^\(?(?P<n>\d{1,2})\)?\s*(?:[-=:.)\x{2013}\x{2014}]\s*|\s+)(?P<label>.*\S)$"


def _label_key(arr: pa.Array) -> pa.Array:
    key = _key(arr)
    return pc.utf8_trim(key, characters=".!")


def parse_likert(values: pd.Series, scale_min: int, scale_max: int) -> tuple[pd.Series, pd.Series]:
    """Likert answers as float on the item's own scale, and the mask of failed cells.

    Numbers are returned as they are (the contract checks them against the scale). Labels are
    matched case- and space-insensitively against the 5- or 7-point agreement labels (chosen by
    the number of points, ``scale_max - scale_min + 1``; the first label is ``scale_min``).
    ``5 - Strongly agree`` / ``5 = Strongly agree`` give 5; a number with an unknown label (a
    custom anchor such as ``1 - Not at all``) gives its number; a number contradicting its known
    label fails. Any other text fails.
    """
    series = _series(values)
    arr, empty = _text(series)
    number, is_number = _numbers(arr, empty)
    labels = LIKERT_LABELS.get(int(scale_max) - int(scale_min) + 1, {})
    table = {k: v + int(scale_min) - 1 for k, v in labels.items()}
    ranks = np.array(list(table.values()) or [0], dtype=float)

    parts = pc.extract_regex(arr, _NUMBERED)
    numbered = _np_bool(pc.is_valid(parts)) & ~is_number & ~empty
    tagged = _ints(pc.if_else(pa.array(numbered), pc.struct_field(parts, [0]), ""))
    label_text = pc.if_else(pa.array(numbered), pc.struct_field(parts, [1]), arr)
    pos, known = _lookup(_label_key(label_text), table) if table else (
        np.zeros(len(series), dtype=np.int64), np.zeros(len(series), dtype=bool))
    by_label = np.where(known, ranks[pos], np.nan)

    out = np.where(is_number, number, np.nan)
    plain_label = known & ~numbered & ~is_number & ~empty
    out = np.where(plain_label, by_label, out)
    agree = numbered & (~known | (by_label == tagged))
    out = np.where(agree, tagged.astype(float), out)
    ok = is_number | plain_label | agree
    return (pd.Series(out, index=series.index, name=series.name),
            pd.Series(~empty & ~ok, index=series.index, name=series.name))


BOOL_LABELS: dict[str, bool] = {
    "y": True, "yes": True, "true": True, "1": True,
    "n": False, "no": False, "false": False, "0": False,
}


# ServiceNow's escalation field: Normal (0) is not escalated; Moderate, High, Overdue (1-3) are
ESCALATION_LABELS: dict[str, bool] = {**BOOL_LABELS, "normal": False, "moderate": True, "high": True,
                                      "overdue": True, "2": True, "3": True}


def parse_escalated(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whether an issue was escalated: yes/no as ``parse_bool`` reads it, or ServiceNow's levels."""
    return parse_bool(values, ESCALATION_LABELS)


def parse_bool(values: pd.Series, labels: dict[str, bool] = BOOL_LABELS) -> tuple[pd.Series, pd.Series]:
    """Y/N, Yes/No, True/False, 1/0 (any case) as a nullable boolean, and the mask of unknown
    cells. Empty cells are NA, not unknown; anything else is unknown and never guessed."""
    series = _series(values)
    arr, empty = _text(series)
    pos, known = _lookup(_key(arr), labels)
    truth = np.array(list(labels.values()))[pos]
    out = pd.array(np.where(known, truth, False), dtype="boolean")
    out[~known] = pd.NA
    return (pd.Series(out, index=series.index, name=series.name),
            pd.Series(~empty & ~known, index=series.index, name=series.name))


SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
SEVERITY_LABELS: dict[str, str] = {
    "low": "low", "medium": "medium", "high": "high", "critical": "critical",
    # Jira priorities (both the current and the classic scheme)
    "lowest": "low", "trivial": "low", "minor": "low", "major": "high", "blocker": "critical",
    "highest": "critical",
    # RAG status
    "green": "low", "amber": "medium", "red": "high",
    # P1 (most urgent) .. P4
    "p1": "critical", "p2": "high", "p3": "medium", "p4": "low",
    # ServiceNow priorities ("3 - Moderate": the number prefix is dropped first)
    "moderate": "medium", "planning": "low",
    # Jira priorities for German-speaking users
    "höchste": "critical", "hoch": "high", "mittel": "medium", "niedrig": "low", "niedrigste": "low",
}
_NUMBER_PREFIX = r"^\d+\s*[-.:)]\s*"  # ServiceNow's "1 - Critical", "2 - High"


def parse_severity(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Severity words as one of ``low``/``medium``/``high``/``critical`` (NA when empty or
    unknown), and the mask of unknown cells. Bare numbers are unknown: 1 could be either end;
    a number before a word (``2 - High``) is dropped and the word decides."""
    series = _series(values)
    arr, empty = _text(series)
    pos, known = _lookup(pc.replace_substring_regex(_key(arr), _NUMBER_PREFIX, ""), SEVERITY_LABELS)
    names = np.array(list(SEVERITY_LABELS.values()), dtype=object)[pos]
    out = pd.Series(np.where(known, names, None), index=series.index, name=series.name,
                    dtype="string")
    return out, pd.Series(~empty & ~known, index=series.index, name=series.name)


# --------------------------------------------------------------------------------------------
# partner names
# --------------------------------------------------------------------------------------------

# Trailing legal-form words dropped from a partner name key. "group", "partners", "company",
# "holdings", "uk", ... are kept: they often tell two real organisations apart.
LEGAL_SUFFIXES: frozenset[str] = frozenset({
    "ltd", "limited", "plc", "llp", "llc", "lp", "inc", "incorporated", "corp", "corporation",
    "co", "gmbh", "ag", "bv", "nv", "sa", "sas", "sarl", "srl", "spa", "pty",
})
_APOSTROPHES = re.compile(r"['\u2019\u2018`.]")
_PUNCT = re.compile(r"[^\w\s]|_")


def fold_latin(text: str) -> str:
    """Every Latin letter as its ASCII form: accents dropped (é -> e) and the letters that do not
    decompose transliterated (ø -> o, ł -> l, æ -> ae, đ -> d, œ -> oe, þ -> th, ß -> ss). Other
    scripts are kept as they are: their names match as written."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    if text.isascii():
        return text
    return "".join(anyascii(ch) if ch > "\x7f" and "LATIN" in unicodedata.name(ch, "") else ch
                   for ch in text)


def normalise_partner_name(name: str) -> str:
    """Key for matching partner names: Latin letters folded to ASCII (:func:`fold_latin`), case
    folded, ``&`` -> ``and``, apostrophes and dots removed (``Ltd.``, ``O'Neil``), other punctuation
    a space, a leading ``the`` and trailing legal forms (``Ltd``, ``Limited``, ``PLC``, ``& Co``,
    ...) dropped. A name made only of such words keeps them (``Co`` stays ``co``)."""
    text = fold_latin(name).casefold()
    text = text.replace("&", " and ")
    text = _APOSTROPHES.sub("", text)
    text = _PUNCT.sub(" ", text)
    tokens = text.split()
    kept = list(tokens)
    while kept and kept[-1] in LEGAL_SUFFIXES:
        kept.pop()
        if kept and kept[-1] == "and" and tokens[len(kept)] == "co":
            kept.pop()
    if kept and kept[0] == "the" and len(kept) > 1:
        kept = kept[1:]
    return " ".join(kept or tokens)


def normalise_partner_names(values: pd.Series) -> pd.Series:
    """:func:`normalise_partner_name` over a column (computed once per distinct name)."""
    series = _series(values)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    keys = np.array([normalise_partner_name(u) for u in uniques] + [None], dtype=object)
    return pd.Series(keys[codes], index=series.index, name=series.name, dtype="string")


NEAR_RATIO = 0.85


@dataclass(frozen=True)
class PartnerMatch:
    """``known``: the key is a known alias. ``near``: close to a known partner (the user must
    confirm or reject; never merged or split silently). ``new``: nothing close."""

    kind: str
    partner_id: int | None
    suggestion: str | None
    score: float


def _related(a: str, b: str) -> bool:
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 4 and long_.startswith(short):
        return True
    ta, tb = set(a.split()), set(b.split())
    return bool(ta and tb) and (ta <= tb or tb <= ta)


def match_partner(name: str, known: dict[str, int], names: dict[int, str]) -> PartnerMatch:
    """Match a partner name against the known aliases (alias key -> partner id).

    Raises ``ValueError`` for a name with nothing left after normalisation."""
    key = normalise_partner_name(name)
    if not key:
        raise ValueError(f"{name!r} is not a partner name")
    if key in known:
        pid = known[key]
        return PartnerMatch("known", pid, names.get(pid), 1.0)
    best: tuple[float, int, int] | None = None  # (-score, partner_id) ordering
    for alias, pid in known.items():
        ratio = difflib.SequenceMatcher(None, key, alias, autojunk=False).ratio()
        if ratio >= NEAR_RATIO or _related(key, alias):
            candidate = (-round(ratio, 6), pid)
            if best is None or candidate < best[:2]:
                best = (candidate[0], candidate[1], 0)
    if best is None:
        return PartnerMatch("new", None, None, 0.0)
    return PartnerMatch("near", best[1], names.get(best[1]), -best[0])
