"""The wire: one JSON object per line, UTF-8, between Node and the parent (commands in, messages
out) and between a run and the parent (fd 3). What a run sends is untrusted and checked here."""
import json
import os

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
    """('a', items) | ('p', current, total) | ('r', result); ValueError/KeyError/TypeError if bad."""
    if not isinstance(msg, dict):
        raise ValueError('message is not an object')
    t = msg.get('t')
    if t == 'a':
        return 'a', check_items(msg['items'])
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
        if ok and not isinstance(state, dict):
            raise ValueError('bad state')
        if not ok and not isinstance(error, str):
            raise ValueError('bad error')
        check_items(items)
        return 'r', {'success': ok, 'error': None if ok else clip(error), 'details': details,
                     'state': state if ok else None, 'pending': items}
    raise ValueError('unknown message type')
