import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { silentLogger } from '../src/logger.js';
import { PythonUnavailableError } from '../src/python/errors.js';
import { PythonRunner, type RawAttestation } from '../src/python/runner.js';
import { DEFAULT_LIMITS, resolveLimits } from '../src/python/limits.js';

const ASID = /^AS[0-9A-HJKMNP-TV-Z]{26}$/;

interface Proc {
  pid: number;
  state: string;
  pgrp: number;
  uid: number;
}

/** Processes now alive or zombie, read from /proc. */
function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = fs.readFileSync(`/proc/${name}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      out.push({ pid: Number(name), state: fields[0]!, pgrp: Number(fields[2]), uid });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

describe('python runner', () => {
  let runner: PythonRunner;

  before(() => {
    runner = new PythonRunner({ logger: silentLogger(), defaults: { timeoutMs: 20_000 } });
  });
  after(async () => {
    await runner.close();
  });

  it('captures stdout, streams attestations in batches and returns the state', async () => {
    const batches: RawAttestation[][] = [];
    const progress: Array<[number, number | null]> = [];
    const r = await runner.run({
      code: [
        'import datetime',
        "print('hello', ix.script_type, ix.args, ix.flags, ix.last_run.year)",
        "first = attest('alice', ['engineer', 'engineer'], 'acme', actors='hr', attributes={'n': 1}, timestamp=1700000000000)",
        "attest(['bob'], 'p', 'c', timestamp=datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc))",
        "attest('carol', 'p', 'c', timestamp='2024-01-02T00:00:00Z')",
        'for i in range(2497):',
        "    attest('s%d' % i, 'p', 'c')",
        'progress(2500, 2500)',
        "ix.state['count'] = ix.state.get('count', 0) + 1",
        "ix.state['first'] = first",
      ].join('\n'),
      context: { scriptType: 'demo', args: ['a', 'b'], flags: { since: 'x', v: true }, lastRun: Date.UTC(2025, 0, 1), state: { count: 41 } },
      onAttestations: async (batch) => {
        batches.push(batch);
      },
      onProgress: (c, t) => progress.push([c, t]),
    });
    assert.equal(r.error, null);
    assert.equal(r.success, true);
    assert.equal(r.stdout, "hello demo ['a', 'b'] {'since': 'x', 'v': True} 2025\n");
    assert.deepEqual(batches.map((b) => b.length), [1000, 1000]);
    assert.equal(r.attestationsFlushed, 2000);
    assert.equal(r.pending.length, 500);
    const first = batches[0]![0]!;
    assert.deepEqual(first, {
      id: first.id,
      subjects: ['alice'],
      predicates: ['engineer'],
      contexts: ['acme'],
      actors: ['hr'],
      attributes: { n: 1 },
      timestamp: 1700000000000,
    });
    assert.equal(batches[0]![1]!.timestamp, Date.UTC(2024, 0, 2));
    assert.equal(batches[0]![2]!.timestamp, Date.UTC(2024, 0, 2));
    const all = [...batches.flat(), ...r.pending];
    assert.ok(all.every((a) => ASID.test(a.id)));
    assert.equal(new Set(all.map((a) => a.id)).size, 2500);
    assert.deepEqual(r.state, { count: 42, first: first.id });
    assert.deepEqual(progress, [[2500, 2500]]);
  });

  it('reports an exception at the line of the user script, traceback on stderr', async () => {
    const r = await runner.run({ code: "x = 1\ny = 2\nraise ValueError('bad value')\n" });
    assert.equal(r.success, false);
    assert.equal(r.error, 'bad value');
    assert.deepEqual(r.details, ['exception=ValueError', 'line=3']);
    assert.match(r.stderr, /File "<handler>", line 3/);
    assert.doesNotMatch(r.stderr, /qntx_runner/);
    assert.equal(r.state, null);
  });

  it('raises clear Python exceptions for bad attest() arguments', async () => {
    const empty = await runner.run({ code: "attest('ok', 'p', 'c')\nattest('', 'p', 'c')" });
    assert.deepEqual(empty.details, ['exception=ValueError', 'line=2']);
    assert.match(empty.error ?? '', /subjects must not be empty/);
    const attrs = await runner.run({ code: "attest('s', 'p', 'c', attributes={'x': object()})" });
    assert.deepEqual(attrs.details, ['exception=TypeError', 'line=1']);
    assert.match(attrs.error ?? '', /JSON-serialisable/);
    const long = await runner.run({ code: "attest('é' * 1001, 'p', 'c')" });
    assert.match(long.error ?? '', /at most 2000 UTF-8 bytes/);
    const ts = await runner.run({ code: "attest('s', 'p', 'c', timestamp=1.5)" });
    assert.deepEqual(ts.details, ['exception=TypeError', 'line=1']);
  });

  it('finds syntax errors at check() and before a run', async () => {
    assert.deepEqual(await runner.check('x = 1\n'), { ok: true });
    const c = await runner.check('a = 1\nb = (\n');
    assert.equal(c.ok, false);
    assert.ok(!c.ok && c.details.includes('exception=SyntaxError') && c.details.includes('line=2'));
    const r = await runner.run({ code: 'a = 1\nif True\n  pass\n' });
    assert.equal(r.success, false);
    assert.deepEqual(r.details, ['exception=SyntaxError', 'line=2']);
  });

  it('kills an infinite loop at the timeout', async () => {
    const r = await runner.run({ code: 'while True:\n    pass\n', limits: { timeoutMs: 1000 } });
    assert.equal(r.success, false);
    assert.deepEqual(r.details, ['limit=timeout', 'timeout_ms=1000']);
    assert.ok(r.durationMs >= 1000 && r.durationMs < 5000, `took ${r.durationMs} ms`);
  });

  it('stops memory bombs with a memory-limit error', async () => {
    const big = await runner.run({ code: "s = 'x' * 10**10" });
    assert.equal(big.success, false);
    assert.match(big.error ?? '', /memory limit/);
    assert.ok(big.details.includes('limit=memory') && big.details.includes('line=1'));
    const grow = await runner.run({
      code: 'a = []\nwhile True:\n    a.append(len(a))\n',
      limits: { memoryBytes: 256 * 1024 * 1024 },
    });
    assert.equal(grow.success, false);
    assert.ok(grow.details.includes('limit=memory'), grow.details.join(' '));
    assert.match(grow.error ?? '', /memory limit \(256 MiB\)/);
  });

  it('contains a fork bomb and leaves no process of its group or uid behind', async () => {
    const r = await runner.run({
      code: [
        'import os',
        'print(os.getpgid(0), os.getuid(), flush=True)',
        'while True:',
        '    try:',
        '        if os.fork() == 0:',
        '            try:',
        '                os.setsid()',
        '            except OSError:',
        '                pass',
        '    except OSError:',
        '        pass',
      ].join('\n'),
      limits: { timeoutMs: 1500 },
    });
    assert.equal(r.success, false);
    assert.ok(r.details.includes('limit=timeout'), r.details.join(' '));
    const [pgid, uid] = r.stdout.split('\n')[0]!.split(' ').map(Number) as [number, number];
    assert.ok(pgid > 1);
    const left = processes().filter((p) => p.pgrp === pgid || (uid !== 0 && p.uid === uid));
    assert.deepEqual(left, []);
    const next = await runner.run({ code: "import subprocess\nprint(subprocess.run(['true']).returncode)" });
    assert.equal(next.stdout, '0\n');
  });

  it('raises the CPU limit to a longer timeout given without one', async () => {
    assert.equal(resolveLimits(DEFAULT_LIMITS, { timeoutMs: 120_000 }).cpuSeconds, 120);
    assert.equal(resolveLimits(DEFAULT_LIMITS, { timeoutMs: 5_000 }).cpuSeconds, DEFAULT_LIMITS.cpuSeconds);
    assert.equal(resolveLimits(DEFAULT_LIMITS, { timeoutMs: 120_000, cpuSeconds: 2 }).cpuSeconds, 2);
    // A runner whose default CPU limit is 1 s: a run given 6 s of wall clock may use 1.5 s of CPU.
    const tight = new PythonRunner({ logger: silentLogger(), defaults: { timeoutMs: 20_000, cpuSeconds: 1 } });
    try {
      const code = 'import time\nend = time.process_time() + 1.5\nwhile time.process_time() < end:\n    pass\nprint("done")\n';
      const r = await tight.run({ code, limits: { timeoutMs: 6_000 } });
      assert.equal(r.error, null, JSON.stringify(r.details));
      assert.equal(r.stdout, 'done\n');
      const capped = await tight.run({ code });
      assert.deepEqual(capped.details, ['limit=cpu', 'cpu_seconds=1']);
    } finally {
      await tight.close();
    }
  });

  it('stops a CPU-bound script at the CPU limit', async () => {
    const r = await runner.run({ code: 'while True:\n    pass\n', limits: { cpuSeconds: 1, timeoutMs: 10_000 } });
    assert.equal(r.success, false);
    assert.deepEqual(r.details, ['limit=cpu', 'cpu_seconds=1']);
  });

  it('reports once when the script forks a process that falls off the end', async () => {
    const r = await runner.run({
      code: "import os\npid = os.fork()\nif pid:\n    os.waitpid(pid, 0)\nattest('s', 'p', 'c')\n",
    });
    assert.equal(r.error, null);
    assert.equal(r.pending.length, 1);
  });

  it('caps 100 MB of printing while Node memory stays flat', async () => {
    const rssBefore = process.memoryUsage().rss;
    const r = await runner.run({
      code: "import sys\nchunk = 'x' * 1023\nfor _ in range(100000):\n    print(chunk)\nsys.stderr.write('e' * 100000)\n",
      limits: { outputCapBytes: 65536 },
    });
    assert.equal(r.success, true);
    assert.equal(r.stdoutTruncated, true);
    assert.equal(r.stdout.length, 65536);
    assert.equal(r.stderrTruncated, true);
    assert.equal(r.stderr.length, 65536);
    const grown = process.memoryUsage().rss - rssBefore;
    assert.ok(grown < 40 * 1024 * 1024, `rss grew by ${grown} bytes`);
  });

  it('is not confused by a script that closes stdout, writes garbage or calls os._exit', async () => {
    const closed = await runner.run({ code: "import sys\nsys.stdout.close()\nattest('s', 'p', 'c')\n" });
    assert.equal(closed.success, true);
    assert.equal(closed.pending.length, 1);
    const fds = await runner.run({ code: "import os\nos.close(1)\nos.close(2)\nprint('x')\n" });
    assert.equal(fds.success, false);
    assert.deepEqual(fds.details, ['exception=OSError', 'line=4']);
    const garbage = await runner.run({
      code: "import os\nos.write(1, b'\\xff\\xfe raw')\nfor fd in range(3, 30):\n    try:\n        os.write(fd, b'garbage\\n{\"t\":\"r\"}\\n')\n    except OSError:\n        pass\nattest('s', 'p', 'c')\n",
    });
    assert.equal(garbage.success, false);
    assert.match(garbage.error ?? '', /protocol channel/);
    assert.match(garbage.stdout, /raw/);
    const forged = await runner.run({ code: "import os\nos.write(3, b'{\"t\":\"a\",\"items\":[[\"x\",[],[],[],null,null,null]]}\\n')" });
    assert.equal(forged.success, false);
    assert.match(forged.error ?? '', /protocol channel/);
    const exit = await runner.run({ code: "import os\nprint('bye', flush=True)\nos._exit(3)\n" });
    assert.equal(exit.success, false);
    assert.deepEqual(exit.details, ['exit_code=3']);
    assert.equal(exit.stdout, 'bye\n');
    const sysExit = await runner.run({ code: 'import sys\nsys.exit(0)\n' });
    assert.equal(sysExit.success, true);
    const next = await runner.run({ code: "print('still fine')" });
    assert.equal(next.stdout, 'still fine\n');
  });

  it('fails a run in flight when the warm parent is killed, and the next run works', async () => {
    await runner.run({ code: 'pass' });
    const pid = runner.parentPid;
    assert.ok(pid);
    let pgid = 0;
    const r = await runner.run({
      code: 'import os\nprogress(os.getpgid(0))\nwhile True:\n    pass\n',
      onProgress: (current) => {
        pgid = current;
        process.kill(pid, 'SIGKILL');
      },
    });
    assert.equal(r.success, false);
    assert.equal(r.error, 'python runner died');
    assert.ok(r.details.includes('runner=died'));
    // Orphaned by the dead parent, its processes are reaped by init: zombies may linger a moment.
    assert.deepEqual(processes().filter((p) => p.pgrp === pgid && p.state !== 'Z'), []);
    const next = await runner.run({ code: "print('again')" });
    assert.equal(next.stdout, 'again\n');
    assert.notEqual(runner.parentPid, pid);
  });

  it('returns ix.state only when the run succeeds', async () => {
    const failed = await runner.run({ code: "ix.state['a'] = 1\nraise RuntimeError('no')", context: { state: { a: 0 } } });
    assert.equal(failed.state, null);
    const bad = await runner.run({ code: 'ix.state["f"] = object()' });
    assert.equal(bad.success, false);
    assert.ok(bad.details.includes('state=invalid'));
    // A state the next run could not be given is refused when it is saved, not when it is sent.
    const deep = await runner.run({ code: "s = ix.state\nfor _ in range(200):\n    s['a'] = {}\n    s = s['a']" });
    assert.equal(deep.success, false);
    assert.ok(deep.details.includes('state=too_deep'), deep.details.join(' '));
    const ok = await runner.run({ code: "ix.state['a'] += 1", context: { state: { a: 0 } } });
    assert.deepEqual(ok.state, { a: 1 });
  });

  it('kills the whole process group when the AbortSignal fires', async () => {
    const ac = new AbortController();
    let pgid = 0;
    const r = await runner.run({
      code: "import os, subprocess\nsubprocess.Popen(['sleep', '60'])\nprogress(os.getpgid(0))\nwhile True:\n    pass\n",
      signal: ac.signal,
      onProgress: (current) => {
        pgid = current;
        ac.abort();
      },
    });
    assert.equal(r.success, false);
    assert.deepEqual(r.details, ['cancelled=true']);
    assert.ok(pgid > 1);
    assert.deepEqual(processes().filter((p) => p.pgrp === pgid), []);
  });

  it('rejects with the error of onAttestations and kills the run', async () => {
    const boom = new Error('database is down');
    await assert.rejects(
      runner.run({
        code: "for i in range(5000):\n    attest('s', 'p', 'c')\nwhile True:\n    pass\n",
        onAttestations: () => Promise.reject(boom),
      }),
      (e) => e === boom,
    );
    const next = await runner.run({ code: "print('ok')" });
    assert.equal(next.stdout, 'ok\n');
  });

  it('gives every run a fresh namespace, also when runs overlap', async () => {
    await runner.run({ code: 'import builtins, json\nbuiltins.leak = 1\njson.leak = 2\nsecret = 42' });
    const rs = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        runner.run({
          code: `import builtins, json\nprint(hasattr(builtins, 'leak'), hasattr(json, 'leak'), 'secret' in globals())\nsecret = ${i}`,
        }),
      ),
    );
    for (const r of rs) assert.equal(r.stdout, 'False False False\n');
  });

  it('gives each run an empty private HOME/TMPDIR of its own, mode 0700, gone after the run', async () => {
    const look = "import os, stat\nd = os.environ['TMPDIR']\nprint(d, os.environ['HOME'] == d, sorted(os.listdir(d)), oct(stat.S_IMODE(os.stat(d).st_mode)), os.stat(d).st_uid == os.getuid())\n";
    // One run leaves a file, another opens its (empty) directory to everyone: neither reaches a later run.
    await runner.run({ code: "import os\nopen(os.path.join(os.environ['HOME'], 'left'), 'w').write('x')\n" });
    await runner.run({ code: "import os\nos.chmod(os.environ['TMPDIR'], 0o777)\n" });
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await runner.run({ code: look });
      const [dir, ...rest] = r.stdout.trim().split(' ');
      assert.equal(rest.join(' '), "True [] 0o700 True", r.stdout);
      assert.ok(!seen.has(dir!), 'a name of its own');
      seen.add(dir!);
      assert.ok(!fs.existsSync(dir!), `${dir} is gone after the run`);
    }
  });

  it('rejects with python_unavailable when the interpreter cannot be run', async () => {
    const broken = new PythonRunner({ logger: silentLogger(), python: '/nonexistent/python3' });
    await assert.rejects(broken.run({ code: 'pass' }), (e) => e instanceof PythonUnavailableError && e.status === 503);
    await broken.close();
  });
});

// Between runs the warm parent prepares the next run's process (forked, contained, waiting for
// its run); runs it cannot take are forked when they come. Both must give a run the same limits.
describe('a run process prepared ahead', () => {
  const isRoot = process.getuid?.() === 0;
  const LOOK = [
    'import os, resource',
    'lim = {n: resource.getrlimit(getattr(resource, n)) for n in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NPROC", "RLIMIT_CORE")}',
    'print(os.path.basename(os.environ["HOME"]), os.getuid(), lim)',
  ].join('\n');
  const limits = { memoryBytes: 300 * 1024 * 1024, cpuSeconds: 7, diskBytes: 5 * 1024 * 1024 };
  const expected = `{'RLIMIT_AS': (${limits.memoryBytes}, ${limits.memoryBytes}), 'RLIMIT_CPU': (7, 8), 'RLIMIT_FSIZE': (${limits.diskBytes}, ${limits.diskBytes})`;

  /** The parent's prepared process (as root: its child of a sandbox uid), once it is there. */
  async function preparedProcess(parent: number): Promise<Proc> {
    const childOfParent = (p: Proc): boolean => {
      try {
        return fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(parent);
      } catch {
        return false;
      }
    };
    // Prepared a few milliseconds after the previous run's answer: it may not be there yet.
    for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 10))) {
      // As root a prepared process has its sandbox uid; without root, the parent's only child between runs.
      const spare = processes().find((p) => (!isRoot || p.uid !== 0) && childOfParent(p));
      if (spare) return spare;
    }
    assert.fail('no prepared process');
  }

  function look(stdout: string): { name: string; uid: number; lim: string } {
    const m = /^(\S+) (\d+) (.*)$/.exec(stdout.trim());
    assert.ok(m, stdout);
    return { name: m[1]!, uid: Number(m[2]), lim: m[3]! };
  }

  it("gives a prepared run its own limits, as a run forked when it comes gets them", async () => {
    // What the warm parent says on stderr (a prepared process that failed says why) explains a failure.
    const said: string[] = [];
    const prepared = new PythonRunner({ logger: pino({ level: 'warn' }, { write: (line: string) => said.push(line) }) });
    const forkEach = new PythonRunner({ logger: silentLogger(), prepare: false });
    try {
      // Once the parent is up and its prepared process waits, the next run takes that process.
      assert.equal((await prepared.run({ code: 'pass' })).success, true);
      await preparedProcess(prepared.parentPid!);
      const a = look((await prepared.run({ code: LOOK, limits })).stdout);
      assert.match(a.name, /^s\d+$/, `the run takes the prepared process; the parent said: ${said.join('')}`);
      assert.ok(a.lim.startsWith(expected), a.lim);
      // Larger than the prepared process's pipe holds: forked when it comes, with the same limits.
      const big = look((await prepared.run({ code: `${LOOK}\n#${'x'.repeat(70_000)}`, limits })).stdout);
      assert.match(big.name, /^\d+$/);
      assert.equal(big.lim, a.lim);
      const c = look((await forkEach.run({ code: LOOK, limits })).stdout);
      assert.match(c.name, /^\d+$/);
      assert.equal(c.lim, a.lim);
      if (isRoot) {
        // The process prepared after a run never has that run's uid (a run's uid is empty after it).
        const next = look((await prepared.run({ code: LOOK, limits })).stdout);
        const after = processes().filter((p) => p.uid === next.uid);
        assert.deepEqual(after, [], `processes of uid ${next.uid} after its run; the parent said: ${said.join('')}`);
      }
    } finally {
      await prepared.close();
      await forkEach.close();
    }
  });

  it('gives its slot up to a run it cannot take when no other is free: two runs never share a uid', { skip: isRoot ? false : 'sandbox uids need root' }, async () => {
    // Two slots (one per lane): one is the prepared process's, and two runs too large for it come.
    const runner = new PythonRunner({ logger: silentLogger(), maxConcurrent: 1, adhoc: { slots: 1 } });
    const meet = fs.mkdtempSync(path.join(os.tmpdir(), 'qntx-meet-'));
    fs.chmodSync(meet, 0o777);
    try {
      assert.equal((await runner.run({ code: 'pass' })).success, true);
      await preparedProcess(runner.parentPid!); // holding one of the two slots
      const code = [
        'import os, time',
        `open(os.path.join(${JSON.stringify(meet)}, str(os.getpid())), 'w').close()`,
        `while len(os.listdir(${JSON.stringify(meet)})) < 2:`,
        '    time.sleep(0.005)',
        'print(os.getuid())',
        `#${'x'.repeat(70_000)}`,
      ].join('\n');
      const [a, b] = await Promise.all([runner.run({ code }), runner.run({ code, lane: 'adhoc' })]);
      assert.equal(a.success, true, a.error ?? '');
      assert.equal(b.success, true, b.error ?? '');
      assert.notEqual(a.stdout, b.stdout, 'each run has a uid of its own');
      assert.equal((await runner.run({ code: 'pass' })).success, true);
    } finally {
      await runner.close();
      fs.rmSync(meet, { recursive: true, force: true });
    }
  });

  it('a prepared process killed before its run: the run is forked when it comes', { skip: isRoot ? false : 'found by its sandbox uid' }, async () => {
    const runner = new PythonRunner({ logger: silentLogger() });
    try {
      assert.equal((await runner.run({ code: 'pass' })).success, true);
      const parent = runner.parentPid!;
      const spare = await preparedProcess(parent);
      const victim = spare.pid;
      process.kill(victim, 'SIGKILL');
      // Dead (a zombie, or reaped already) before the run comes: a process killed while its run is
      // handed to it fails that run, as a run killed from outside does.
      const dead = (): boolean => ['Z', undefined].includes(processes().find((p) => p.pid === victim)?.state);
      for (const until = Date.now() + 10_000; !dead() && Date.now() < until; await new Promise((r) => setTimeout(r, 10)));
      const r = await runner.run({ code: LOOK });
      assert.equal(r.success, true, r.error ?? '');
      assert.match(look(r.stdout).name, /^\d+$/);
      assert.equal(runner.parentPid, parent, 'the same warm parent');
      assert.equal((await runner.run({ code: 'pass' })).success, true);
    } finally {
      await runner.close();
    }
  });
});
