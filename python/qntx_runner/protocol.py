"""The wire: one JSON object per line, UTF-8, between Node and the parent (commands in, messages
out) and between a run and the parent (fd 3). What a run sends is untrusted and checked here."""
import json
import os
import re

from qntx_runner import limits

ENC = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(',', ':'))
MAX_CHILD_LINE = 32 << 20
MAX_ITEMS_PER_BATCH = 10000
MAX_ERROR_CHARS = 4000


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def send(fd, msg):
    write_all(fd, (ENC.encode(msg) + '\n').encode('utf-8'))


def clip(s):
    return s if len(s) <= MAX_ERROR_CHARS else s[:MAX_ERROR_CHARS] + '...'


class Lines(object):
    """Splits a byte stream into lines."""

    def __init__(self):
        self.buf = bytearray()

    def feed(self, data):
        self.buf += data

    def pop(self):
        """The next complete line (without its newline), or None."""
        i = self.buf.find(b'\n')
        if i < 0:
            return None
        line = bytes(self.buf[:i])
        del self.buf[:i + 1]
        return line

    def pending(self):
        return len(self.buf)

    def clear(self):
        self.buf = bytearray()


# -- commands from Node, read defensively: a bad one fails alone ------------------------------

OPS = ('run', 'check', 'cancel', 'ack')
LIMIT_KEYS = ('timeoutMs', 'memoryBytes', 'cpuSeconds', 'outputCapBytes', 'diskBytes')
# Node writes "op" and "id" first, so a line that cannot be parsed still names the run to fail.
HEAD_RE = re.compile(rb'\{"op":"([a-z]{1,10})","id":(\d{1,15})[,}]')


class BadCommand(Exception):
    def __init__(self, op, rid, reason):
        Exception.__init__(self, reason)
        self.op = op
        self.rid = rid
        self.reason = reason


def parse_command(line):
    """The command of one line from Node, checked; BadCommand(op, id, reason) otherwise."""
    head = HEAD_RE.match(line)
    op, rid = (head.group(1).decode(), int(head.group(2))) if head else (None, None)
    try:
        msg = json.loads(line)
    except (ValueError, RecursionError, MemoryError) as e:
        raise BadCommand(op, rid, 'not JSON: %s' % (str(e)[:100] or type(e).__name__)) from None
    if not isinstance(msg, dict):
        raise BadCommand(op, rid, 'not an object')
    op, rid = msg.get('op'), msg.get('id')
    if op not in OPS or type(rid) is not int or rid < 0:
        raise BadCommand(None, None, 'unknown op or bad id')
    try:
        if op in ('run', 'check') and not isinstance(msg.get('code'), str):
            raise ValueError('code must be a string')
        if op == 'run':
            check_context(msg.get('ctx'))
            check_limits(msg.get('limits'))
        if op == 'cancel' and msg.get('reason', 'cancelled') not in ('cancelled', 'disk'):
            raise ValueError('unknown cancel reason')
    except ValueError as e:
        raise BadCommand(op, rid, str(e)) from None
    return msg


def _str_list(v):
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def check_context(ctx):
    if not isinstance(ctx, dict):
        raise ValueError('ctx must be an object')
    if ctx.get('scriptType') is not None and not isinstance(ctx['scriptType'], str):
        raise ValueError('ctx.scriptType must be a string or null')
    if 'args' in ctx and not _str_list(ctx['args']):
        raise ValueError('ctx.args must be a list of strings')
    flags = ctx.get('flags', {})
    if not isinstance(flags, dict) or not all(isinstance(v, (str, bool)) for v in flags.values()):
        raise ValueError('ctx.flags must map names to strings or booleans')
    last = ctx.get('lastRun')
    if last is not None and not (_number(last) and 0 <= last <= limits.TIMESTAMP_MAX_MS):
        raise ValueError('ctx.lastRun must be ms since the epoch or null')
    state = ctx.get('state', {})
    if not isinstance(state, dict):
        raise ValueError('ctx.state must be an object')
    if limits.json_depth(state, limits.MAX_STATE_DEPTH) > limits.MAX_STATE_DEPTH:
        raise ValueError('ctx.state is nested more than %d levels' % limits.MAX_STATE_DEPTH)
    secrets = ctx.get('secrets', {})
    if not isinstance(secrets, dict) or not all(isinstance(v, str) for v in secrets.values()):
        raise ValueError('ctx.secrets must map names to strings')
    hook = ctx.get('hook')
    if hook is not None and not (isinstance(hook, dict) and isinstance(hook.get('headers', {}), dict)):
        raise ValueError('ctx.hook must be {body, headers}')


def check_limits(lim):
    if not isinstance(lim, dict):
        raise ValueError('limits must be an object')
    for key in LIMIT_KEYS:
        v = lim.get(key)
        if type(v) is not int or not 1 <= v < 1 << 62:
            raise ValueError('limits.%s must be a positive integer' % key)


# -- messages of a run (fd 3), checked before anything reaches Node ----------------------------

def check_items(items):
    if not isinstance(items, list) or len(items) > MAX_ITEMS_PER_BATCH:
        raise ValueError('items must be a list of at most %d' % MAX_ITEMS_PER_BATCH)
    for item in items:
        limits.check_item(item)
    return items


def _number(v):
    return not isinstance(v, bool) and isinstance(v, (int, float)) and v == v and abs(v) != float('inf')


def parse_child_message(msg):
    """('a', items, state|None) | ('p', current, total) | ('r', result); ValueError/KeyError/TypeError if bad."""
    if not isinstance(msg, dict):
        raise ValueError('message is not an object')
    t = msg.get('t')
    if t == 'a':
        state = msg.get('state')  # an ix.checkpoint(): these items together with this state
        if state is not None and (not isinstance(state, dict)
                                  or limits.json_depth(state, limits.MAX_STATE_DEPTH) > limits.MAX_STATE_DEPTH):
            raise ValueError('bad checkpoint state')
        return 'a', check_items(msg['items']), state
    if t == 'p':
        cur, total = msg['current'], msg.get('total')
        if cur is None:
            raise ValueError('progress current missing')
        if not _number(cur) or (total is not None and not _number(total)):
            raise ValueError('progress must be numbers')
        return 'p', cur, total
    if t == 'r':
        ok, state, error, details, items = msg['ok'], msg.get('state'), msg.get('error'), msg.get('details'), msg['items']
        if not isinstance(ok, bool) or not isinstance(details, list) or len(details) > 20 \
                or not all(isinstance(d, str) and len(d) <= 200 for d in details):
            raise ValueError('bad result')
        if ok and (not isinstance(state, dict)
                   or limits.json_depth(state, limits.MAX_STATE_DEPTH) > limits.MAX_STATE_DEPTH):
            raise ValueError('bad state')
        if not ok and not isinstance(error, str):
            raise ValueError('bad error')
        check_items(items)
        return 'r', {'success': ok, 'error': None if ok else clip(error), 'details': details,
                     'state': state if ok else None, 'pending': items}
    raise ValueError('unknown message type')
