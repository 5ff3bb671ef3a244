# Entry point: `python -B -m qntx_runner`, started by Node in the package's directory (see
# src/python/warm-parent.ts) with its configuration as the first line on stdin.
import gc
import json
import os

from qntx_runner import limits, sandbox
from qntx_runner.forkserver import Server

# Modules the namespace needs, plus common ones handlers import: loaded once in the parent so a
# run does not pay for them.
PRELOAD = ('json', 'datetime', 're', 'collections', 'itertools', 'functools', 'math', 'pathlib',
           'hashlib', 'csv', 'subprocess', 'urllib.parse', 'uuid', 'decimal', 'typing', 'dataclasses')


def read_startup():
    """The start-up message (Node's first line on stdin) and whatever followed it."""
    buf = bytearray()
    while b'\n' not in buf:
        data = os.read(0, 1 << 16)
        if not data:
            raise SystemExit(0)
        buf += data
    i = buf.index(b'\n')
    return json.loads(bytes(buf[:i])), bytes(buf[i + 1:])


def main():
    cfg, rest = read_startup()
    limits.configure(cfg['limits'])  # the one table of limits, Node's
    cfg['slots'] = max(1, min(int(cfg['slots']), sandbox.UID_BLOCK - 1))
    if cfg.get('cwd'):
        os.chdir(cfg['cwd'])  # started in the package's directory (see warm-parent.ts); runs use the server's
    for name in PRELOAD:
        try:
            __import__(name)
        except Exception:
            pass
    server = Server(cfg)
    server.cmds.feed(rest)
    gc.collect()
    if hasattr(gc, 'freeze'):
        gc.freeze()  # keeps the children's garbage collector off the parent's objects (fewer copied pages)
    try:
        server.loop()
    except (SystemExit, BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        server.shutdown()


main()
