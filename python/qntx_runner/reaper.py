"""Ends what a run leaves behind: its process group, processes that escaped it with setsid()
(reparented to the parent, a child subreaper), and with the sandbox every process of its uid."""
import os
import signal
import sys
import time

from qntx_runner import sandbox


class Reaper(object):
    def __init__(self, parent_pid, known, gid):
        self.children_path = '/proc/self/task/%d/children' % parent_pid
        self.known = known  # pid -> run: the runs' own processes, reaped by the fork server
        self.gid = gid
        self.keep = set()  # the parent's own helpers (the janitor): never orphans

    def children(self):
        try:
            with open(self.children_path) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def orphans(self):
        known, keep = self.known, self.keep
        return [p for p in self.children() if p not in known and p not in keep]

    def reap_orphans(self):
        for p in self.orphans():
            try:
                os.waitpid(p, os.WNOHANG)
            except ChildProcessError:
                pass

    def kill_group(self, pgid):
        """SIGKILLs the group until it is empty, reaping what was reparented to us meanwhile."""
        deadline = time.monotonic() + 2.0
        while True:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                return
            self.reap_orphans()
            if time.monotonic() > deadline:
                sys.stderr.write('qntx runner: process group %d did not die\n' % pgid)
                return
            time.sleep(0.0005)

    def sweep(self, uid):
        """Kills what escaped the group (setsid() in the script): it was reparented to us."""
        deadline = time.monotonic() + 2.0
        while True:
            orphans = self.orphans()
            if uid is not None:
                orphans = [p for p in orphans if sandbox.proc_uid(p) == uid]
            if not orphans:
                return
            if uid is not None:
                self.kill_uid(uid)
            else:
                for p in orphans:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
            for p in orphans:
                try:
                    os.waitpid(p, os.WNOHANG)
                except ChildProcessError:
                    pass
            if time.monotonic() > deadline:
                sys.stderr.write('qntx runner: could not kill %d escaped processes\n' % len(orphans))
                return
            time.sleep(0.0005)

    def kill_uid(self, uid):
        sandbox.kill_uid(uid, self.gid)
