"""The attestation limits and the checks built on them, shared by attest() in the child (raising
for the user) and by the parent (checking what a run sends, where the same errors mean a
protocol violation). The numbers are not defined here: Node sends its one table
(src/ats/limits.ts, src/python/limits.ts) in the start-up message, and configure() takes them.
Sizes are UTF-8 bytes; attributes are measured as JavaScript's JSON.stringify writes them."""
import json
import re

# Set by configure() before the parent serves anything.
VALUE_BYTES = VALUES_PER_FIELD = ATTRIBUTES_BYTES = TIMESTAMP_MAX_MS = None
BLANK = None
MAX_STATE_BYTES = MAX_STATE_DEPTH = None
ASID_RE = re.compile(r'^AS[0-9A-HJKMNP-TV-Z]{26}\Z')
# In compact JSON, an escape of NUL or of a lone surrogate that is not itself escaped.
BAD_ESCAPE = re.compile(r'(?:^|[^\\])(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})', re.I)
LONG_DIGITS = re.compile(r'\d{16}')
SAFE_INT = 2 ** 53


def configure(table):
    """Takes the limits of the start-up message: {attestation: {...}, state: {...}}."""
    global VALUE_BYTES, VALUES_PER_FIELD, ATTRIBUTES_BYTES, TIMESTAMP_MAX_MS, BLANK
    global MAX_STATE_BYTES, MAX_STATE_DEPTH
    a, s = table['attestation'], table['state']
    VALUE_BYTES = int(a['valueBytes'])
    VALUES_PER_FIELD = int(a['valuesPerField'])
    ATTRIBUTES_BYTES = int(a['attributesBytes'])
    TIMESTAMP_MAX_MS = int(a['timestampMaxMs'])
    BLANK = str(a['blankChars'])
    MAX_STATE_BYTES = int(s['maxBytes'])
    MAX_STATE_DEPTH = int(s['maxDepth'])


def value_size(v, name):
    """UTF-8 size of one value; raises as src/ats/limits.ts valueProblem() refuses."""
    if not isinstance(v, str):
        raise TypeError('%s must be strings, got %s' % (name, type(v).__name__))
    if v.isascii():  # O(1): no encoding needed to know the size
        n = len(v)
    else:
        try:
            n = len(v.encode('utf-8'))
        except UnicodeEncodeError:
            raise ValueError('%s must be valid Unicode (no lone surrogates)' % name) from None
    if n == 0 or (v[0] in BLANK and not v.strip(BLANK)):  # most values do not even start blank
        raise ValueError('%s must not be empty or blank' % name)
    if '\0' in v:
        raise ValueError('%s must not contain NUL' % name)
    if n > VALUE_BYTES:
        raise ValueError('%s values must be at most %d UTF-8 bytes (got %d)' % (name, VALUE_BYTES, n))
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
    if len(v) > VALUES_PER_FIELD:
        raise ValueError('%s must have at most %d values' % (name, VALUES_PER_FIELD))
    n = 0
    for x in v:
        n += value_size(x, name)
    size[0] += n
    return list(dict.fromkeys(v)) if len(v) > 1 else list(v)


def check_list(v, name):
    if type(v) is not list or not v or len(v) > VALUES_PER_FIELD:
        raise ValueError('%s must be a list of 1 to %d strings' % (name, VALUES_PER_FIELD))
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
    if ts is not None and (type(ts) is not int or not 0 <= ts <= TIMESTAMP_MAX_MS):
        raise ValueError('timestamp must be an integer (ms) or null')


def attributes_size(attributes, encode):
    """(attributes, size) as src/ats/limits.ts attributesProblem() measures and refuses them;
    non-str keys become strings, as in the JSON."""
    if not isinstance(attributes, dict):
        raise TypeError('attributes must be a dict, got %s' % type(attributes).__name__)
    try:
        text = encode(attributes)
    except (TypeError, ValueError, RecursionError) as e:
        raise TypeError('attributes must be JSON-serialisable: %s' % e) from None
    try:
        n = len(text.encode('utf-8'))  # a lone surrogate is written raw (ensure_ascii=False): it fails here
    except UnicodeEncodeError:
        n = None
    if n is None or ('\\u' in text and BAD_ESCAPE.search(text)):  # NUL is written escaped
        raise ValueError('attributes must not contain NUL or lone surrogates')
    if LONG_DIGITS.search(text):
        check_integers(attributes)
    if n * 5 > ATTRIBUTES_BYTES:  # numbers may be up to ~4x longer in JavaScript's writing
        n += js_length_delta(attributes)
    if n > ATTRIBUTES_BYTES:
        raise ValueError('attributes must serialise to at most %d UTF-8 bytes (got %d)' % (ATTRIBUTES_BYTES, n))
    if not all(isinstance(k, str) for k in attributes):
        attributes = json.loads(text)
    return attributes, n


def _numbers(v):
    """Every int and float in a JSON-like value, without recursion."""
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            stack.extend(x.values())
            stack.extend(k for k in x if not isinstance(k, str))  # keys become strings: their text counts
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            yield x


def check_integers(attributes):
    """JSON numbers are 64-bit floats on the other side: an int they cannot hold would change."""
    for x in _numbers(attributes):
        if isinstance(x, int) and abs(x) > SAFE_INT and float(x) != x:
            raise ValueError('attributes: the integer %d cannot be stored exactly (JSON numbers are 64-bit floats)' % x)


def js_length_delta(attributes):
    """How much longer JSON.stringify writes the numbers than Python does (negative if shorter)."""
    delta = 0
    for x in _numbers(attributes):
        if isinstance(x, float) or abs(x) > SAFE_INT:
            delta += len(js_number(float(x))) - len(repr(x))
    return delta


def js_number(f):
    """The text of a finite float as JavaScript writes it (Number.prototype.toString)."""
    if f == 0:
        return '0'
    r = repr(f)
    sign = '-' if r[0] == '-' else ''
    mant, _, exp = r.lstrip('-').partition('e')
    ip, _, fp = mant.partition('.')
    e = int(exp) if exp else 0
    if ip.strip('0'):
        n = len(ip.lstrip('0')) + e  # the value is 0.DIGITS x 10^n
    else:
        n = e - (len(fp) - len(fp.lstrip('0')))
    digits = (ip + fp).strip('0')
    k = len(digits)
    if k <= n <= 21:
        body = digits + '0' * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + '.' + digits[n:]
    elif -6 < n <= 0:
        body = '0.' + '0' * -n + digits
    else:
        x = n - 1
        body = digits[0] + ('.' + digits[1:] if k > 1 else '') + 'e' + ('+' if x >= 0 else '-') + str(abs(x))
    return sign + body


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
        state = json.loads(text)
    return True, None, [], state
