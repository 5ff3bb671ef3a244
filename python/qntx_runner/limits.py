"""The attestation limits and the checks built on them, shared by attest() in the child (raising
for the user) and by the parent (checking what a run sends, where the same errors mean a
protocol violation)."""
import datetime
import re

MAX_VALUE_BYTES = 2000
MAX_VALUES_PER_FIELD = 256
MAX_ATTRIBUTES_BYTES = 1 << 20
MAX_STATE_BYTES = 16 << 20
MAX_STATE_DEPTH = 128  # STATE_LIMITS.maxDepth in src/python/limits.ts
MAX_TIMESTAMP_MS = 8640000000000000
ASID_RE = re.compile(r'^AS[0-9A-HJKMNP-TV-Z]{26}\Z')


def value_size(v, name):
    """UTF-8 size of one value; raises for a non-string, a blank or a too long one."""
    if not isinstance(v, str):
        raise TypeError('%s must be strings, got %s' % (name, type(v).__name__))
    if v.isascii():  # O(1): no encoding needed to know the size
        n = len(v)
    else:
        try:
            n = len(v.encode('utf-8'))
        except UnicodeEncodeError:
            raise ValueError('%s must be valid Unicode (no lone surrogates)' % name) from None
    if n == 0 or v.isspace():
        raise ValueError('%s must not be empty or blank' % name)
    if n > MAX_VALUE_BYTES:
        raise ValueError('%s values must be at most %d UTF-8 bytes (got %d)' % (name, MAX_VALUE_BYTES, n))
    return n


def values(v, name, size):
    """A str or a non-empty list/tuple of str -> list; duplicates dropped, order kept."""
    if isinstance(v, str):
        size[0] += value_size(v, name)
        return [v]
    if not isinstance(v, (list, tuple)):
        raise TypeError('%s must be a string or a list of strings, got %s' % (name, type(v).__name__))
    if not v:
        raise ValueError('%s must not be an empty list' % name)
    if len(v) > MAX_VALUES_PER_FIELD:
        raise ValueError('%s must have at most %d values' % (name, MAX_VALUES_PER_FIELD))
    n = 0
    for x in v:
        n += value_size(x, name)
    size[0] += n
    return list(dict.fromkeys(v)) if len(v) > 1 else list(v)


def check_list(v, name):
    if type(v) is not list or not v or len(v) > MAX_VALUES_PER_FIELD:
        raise ValueError('%s must be a list of 1 to %d strings' % (name, MAX_VALUES_PER_FIELD))
    for x in v:
        value_size(x, name)


def check_item(item):
    """The parent's check of one attestation as sent by the child: a 7-element list."""
    if not isinstance(item, list) or len(item) != 7:
        raise ValueError('an attestation must be a list of 7 fields')
    aid, subjects, predicates, contexts, actors, attributes, ts = item
    if not isinstance(aid, str) or not ASID_RE.match(aid):
        raise ValueError('bad attestation id')
    check_list(subjects, 'subjects')
    check_list(predicates, 'predicates')
    check_list(contexts, 'contexts')
    if actors is not None:
        check_list(actors, 'actors')
    if attributes is not None and not isinstance(attributes, dict):
        raise ValueError('attributes must be an object or null')
    if ts is not None and (type(ts) is not int or not 0 <= ts <= MAX_TIMESTAMP_MS):
        raise ValueError('timestamp must be an integer (ms) or null')


def attributes_size(attributes, encode):
    """(attributes, UTF-8 size of their JSON); non-str keys become strings as in the JSON."""
    if not isinstance(attributes, dict):
        raise TypeError('attributes must be a dict, got %s' % type(attributes).__name__)
    try:
        text = encode(attributes)
    except (TypeError, ValueError, RecursionError) as e:
        raise TypeError('attributes must be JSON-serialisable: %s' % e) from None
    try:
        n = len(text.encode('utf-8'))
    except UnicodeEncodeError:
        raise ValueError('attributes must be valid Unicode (no lone surrogates)') from None
    if n > MAX_ATTRIBUTES_BYTES:
        raise ValueError('attributes must serialise to at most 1 MiB (got %d bytes)' % n)
    if not all(isinstance(k, str) for k in attributes):
        import json
        attributes = json.loads(text)  # non-str keys became strings in the JSON
    return attributes, n


def to_timestamp(ts):
    if ts is None:
        return None
    if isinstance(ts, bool):
        raise TypeError('timestamp must be int milliseconds, a datetime or an ISO 8601 string, got bool')
    if isinstance(ts, int):
        ms = ts
    elif isinstance(ts, datetime.datetime):
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=datetime.timezone.utc)  # naive datetimes are taken as UTC
        ms = int(ts.timestamp() * 1000)
    elif isinstance(ts, str):
        s = ts.strip()
        if s.endswith(('Z', 'z')):
            s = s[:-1] + '+00:00'
        try:
            d = datetime.datetime.fromisoformat(s)
        except ValueError:
            raise ValueError('timestamp %r is not an ISO 8601 date/time' % (ts,)) from None
        return to_timestamp(d)
    else:
        raise TypeError('timestamp must be int milliseconds, a datetime or an ISO 8601 string, got %s'
                        % type(ts).__name__)
    if not 0 <= ms <= MAX_TIMESTAMP_MS:
        raise ValueError('timestamp must be between 1970 and year 275760 (ms since the epoch)')
    return ms


def json_depth(v, limit):
    """Nesting of dicts and lists in v ({} is 1); the walk stops once past `limit`. Iterative:
    hostile input may be nested far deeper than the interpreter's recursion limit."""
    depth = 0
    stack = [(v, 1)]
    while stack:
        x, d = stack.pop()
        if isinstance(x, dict):
            children = x.values()
        elif isinstance(x, (list, tuple)):
            children = x
        else:
            continue
        if d > depth:
            depth = d
            if depth > limit:
                return depth
        for c in children:
            if isinstance(c, (dict, list, tuple)):
                stack.append((c, d + 1))
    return depth


def state_text(state, encode):
    """(ok, error, details, state) for ix.state at the end of a successful run."""
    if not isinstance(state, dict):
        return False, 'ix.state must be a dict, got %s' % type(state).__name__, ['exception=TypeError', 'state=invalid'], None
    if json_depth(state, MAX_STATE_DEPTH) > MAX_STATE_DEPTH:
        return False, 'ix.state is nested more than %d levels' % MAX_STATE_DEPTH, ['state=too_deep'], None
    try:
        text = encode(state)
        size = len(text.encode('utf-8'))
    except (TypeError, ValueError, RecursionError, UnicodeEncodeError) as e:
        return False, 'ix.state is not JSON-serialisable: %s' % e, ['exception=TypeError', 'state=invalid'], None
    if size > MAX_STATE_BYTES:
        return False, 'ix.state is too large (%d bytes, at most %d)' % (size, MAX_STATE_BYTES), ['state=too_large'], None
    if not all(isinstance(k, str) for k in state):
        import json
        state = json.loads(text)
    return True, None, [], state
