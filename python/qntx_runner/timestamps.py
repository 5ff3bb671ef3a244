"""The one timestamp rule, as in src/ats/timestamp.ts: int ms since the epoch, a datetime (naive
= UTC), or a string — digits (ms) or the ISO 8601 extended format, where a time without an
offset is UTC. The grammar and the arithmetic are the TypeScript ones, line for line."""
import datetime
import re

from qntx_runner import limits

ISO = re.compile(r'^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?'
                 r'([Zz]|[+-]\d{2}(?::?\d{2})?)?)?\Z', re.ASCII)
DIGITS = re.compile(r'^\d+\Z', re.ASCII)
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
MS = datetime.timedelta(milliseconds=1)
KINDS = 'int milliseconds, a datetime or an ISO 8601 string'


def days_from_civil(y, m, d):
    """Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil)."""
    yy = y - 1 if m <= 2 else y
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def days_in_month(y, m):
    if m == 2:
        return 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def parse_iso(s):
    """ms since the epoch of an ISO 8601 date/time (no offset = UTC), or None."""
    m = ISO.match(s)
    if not m:
        return None
    y, mo, d, h, mi, sec = (0 if x is None else int(x) for x in m.group(1, 2, 3, 4, 5, 6))
    if not 1 <= mo <= 12 or not 1 <= d <= days_in_month(y, mo) or h > 23 or mi > 59 or sec > 59:
        return None
    ms = int(m.group(7)[:3].ljust(3, '0')) if m.group(7) else 0
    offset_min = 0
    off = m.group(8)
    if off and off not in ('Z', 'z'):
        digits = off[1:].replace(':', '')
        oh, om = int(digits[:2]), int(digits[2:] or '0')
        if oh > 23 or om > 59:
            return None
        offset_min = (-1 if off[0] == '-' else 1) * (oh * 60 + om)
    return ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi - offset_min) * 60000 + sec * 1000 + ms


def to_timestamp(ts):
    """attest()'s timestamp as ms since the epoch (None stays None); TypeError/ValueError if bad."""
    if ts is None:
        return None
    if isinstance(ts, bool):
        raise TypeError('timestamp must be %s, got bool' % KINDS)
    if isinstance(ts, int):
        ms = ts
    elif isinstance(ts, datetime.datetime):
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=datetime.timezone.utc)  # naive datetimes are UTC, as strings are
        ms = (ts - EPOCH) // MS
    elif isinstance(ts, str):
        ms = int(ts) if DIGITS.match(ts) else parse_iso(ts)
        if ms is None:
            raise ValueError('timestamp %r is not ms since the epoch nor an ISO 8601 date/time '
                             '(YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM]; no offset = UTC)' % (ts[:100],))
    else:
        raise TypeError('timestamp must be %s, got %s' % (KINDS, type(ts).__name__))
    if not 0 <= ms <= limits.TIMESTAMP_MAX_MS:
        raise ValueError('timestamp must be between 1970 and %d ms since the epoch' % limits.TIMESTAMP_MAX_MS)
    return ms
