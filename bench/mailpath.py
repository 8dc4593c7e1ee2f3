#!/usr/bin/python3
"""bench/mailpath.py - the helpers of bench/mailpath.sh (where the
milliseconds of one GET mail go). Not part of `make check`.

  mailpath.py sink PORTFILE        a minimal SMTP receiver on 127.0.0.1 for
                                   timing msmtp alone: every reply in one
                                   write, TCP_NODELAY, TCP_QUICKACK after
                                   each read (aiosmtpd's multi-line replies
                                   and delayed ACKs stall msmtp ~40 ms twice
                                   per mail on loopback); mails discarded
  mailpath.py lmtp SOCK MAIL N     N deliveries of MAIL in one LMTP session;
                                   prints median / min / max ms from MAIL
                                   FROM to the 250 after the data
  mailpath.py phases TRACE...      wall-clock phases of `keymail filter` runs
                                   from `perf trace -T` logs (see phases())
  mailpath.py lphases TRACE WPID   the same per message of an LMTP worker
                                   from a `perf trace -a -T` log
  mailpath.py cpu SCRIPT KIDS N PM [WPID]
                                   CPU per mail by process and by what it
                                   is, from `perf script` of `perf record
                                   -a -g` (KIDS: file with the server's
                                   backend pids, comma-separated; PM: the
                                   postmaster; WPID: an LMTP worker)

Memory: everything is read into memory; the traces are small. Untrusted
input: none (our own traces). Times are perf's syscall entry times: a
recvfrom is entered after poll said the reply is there.
"""
import collections
import re
import socket
import socketserver
import statistics
import sys
import time

TRACE_RE = re.compile(r'\s*(\d+\.\d+) \(\s*([\d.]*)\s*(?:ms)?\): (\S+)/(\d+) (\w+)\((.*?)\)\s+(?:= (\S+)|\.\.\.)')
CLONE_CONT_RE = re.compile(r'.*: (\S+)/(\d+)\s+\.\.\. \[continued\]: clone\(\)\)\s+= (\d+)')


def read_trace(fn):
    """(ts ms, comm, pid, syscall, args, ret, duration ms) per line of a
    perf trace -T log; a clone split over two lines gives 'clone_ret'."""
    ev = []
    for line in open(fn):
        m = TRACE_RE.match(line)
        if m:
            ev.append((float(m[1]), m[3], m[4], m[5], m[6], m[7] or '', float(m[2] or 0)))
            continue
        m = CLONE_CONT_RE.match(line)
        if m and ev:
            ev.append((ev[-1][0], m[1], m[2], 'clone_ret', '', m[3], 0.0))
    return ev


def table(rows, extra=''):
    print("n = %d; median (min - max) ms" % len(rows))
    for k in rows[0]:
        v = [r[k] for r in rows]
        print("  %-66s %7.2f  (%.2f - %.2f)" % (k, statistics.median(v), min(v), max(v)))
    if extra:
        print(extra)


def phases(files):
    """keymail filter runs traced with
    perf trace -T -e execve,arch_prctl,munmap,getuid,connect,recvfrom,clone,exit_group"""
    rows, gaps = [], []
    for fn in files:
        t, recvs, mrecv = {}, [], []
        for ts, comm, pid, name, args, ret, dur in read_trace(fn):
            if comm == 'keymail':
                if name == 'execve' and ret == '0':
                    t['exec'] = ts
                elif 'exec' not in t:
                    continue
                elif name == 'arch_prctl' and 'tls' not in t:
                    t['tls'] = ts
                elif name == 'munmap' and 'reloc' not in t:
                    t['reloc'] = ts
                elif name == 'getuid' and 'main' not in t:
                    t['main'] = ts
                elif name == 'connect' and 'connect' not in t:
                    t['connect'] = ts
                elif name == 'recvfrom' and 'clone' not in t:
                    recvs.append(ts)
                elif name == 'clone' and 'clone' not in t:
                    t['clone'] = ts
                elif name == 'exit_group':
                    t['exit'] = ts
            elif comm == 'msmtp':
                if name == 'execve' and 'mexec' not in t:
                    t['mexec'] = ts
                elif name == 'connect' and 'mconnect' not in t:
                    t['mconnect'] = ts
                elif name == 'recvfrom':
                    mrecv.append((ts, dur))
                elif name == 'exit_group':
                    t['mexit'] = ts
        need = ('exec', 'tls', 'reloc', 'main', 'connect', 'clone', 'exit', 'mexec', 'mconnect', 'mexit')
        if not recvs or any(k not in t for k in need):
            continue
        t['ready'], t['lastq'] = recvs[0], recvs[-1]
        gaps.append([b - a for a, b in zip(recvs, recvs[1:])])
        rows.append({
            'execve, ld.so maps the shared objects (-> TLS set up)': t['tls'] - t['exec'],
            'ld.so relocation, BIND_NOW (-> ld.so.cache unmapped)': t['reloc'] - t['tls'],
            'library constructors, libc init (-> main: getuid)': t['main'] - t['reloc'],
            'main: conf, help file, read + parse the mail (-> connect)': t['connect'] - t['main'],
            'connection: backend or pool, start-up, auth (-> first reply)': t['ready'] - t['connect'],
            'the statements (policy, key IDs, key, BEGIN/SET/rate/COMMIT)': t['lastq'] - t['ready'],
            'reply building: armour, MIME (-> fork of the mailer)': t['clone'] - t['lastq'],
            'fork + child set-up (-> execve msmtp)': t['mexec'] - t['clone'],
            'msmtp start-up: ld.so, its libraries, conf (-> connect SMTP)': t['mconnect'] - t['mexec'],
            'msmtp SMTP dialogue (-> msmtp exit_group)': t['mexit'] - t['mconnect'],
            '  of it recvfrom stalls > 20 ms': sum(d for ts, d in mrecv if d > 20),
            'keymail after the mailer exits: teardown (-> exit_group)': t['exit'] - t['mexit'],
            'TOTAL execve -> exit_group': t['exit'] - t['exec'],
        })
    names = ['policy', 'key IDs', 'key', 'BEGIN', 'SET LOCAL', 'rate', 'COMMIT']
    g = [x for x in gaps if len(x) == len(names)]
    extra = ''
    if g:
        extra = "  per statement, round trip (median ms): " + ", ".join(
            "%s %.2f" % (names[i], statistics.median(x[i] for x in g)) for i in range(len(names)))
    table(rows, extra)


def lphases(fn, worker):
    """an LMTP worker's messages from perf trace -a -T -e
    execve,connect,recvfrom,read,sendto,clone,exit_group,poll (the
    worker's database socket is the one it calls recvfrom on; its LMTP
    socket the one it reads 64 KB from and sends replies to)"""
    msgs, cur, lastread, kids = [], None, None, {}
    pgfd = lmtpfd = None
    for ts, comm, pid, name, args, ret, dur in read_trace(fn):
        fd = re.match(r'fd: (\d+)', args)
        fd = fd and fd[1]
        if pid == worker:
            if name == 'recvfrom':
                pgfd = fd
            if name == 'read' and 'count: 65536' in args:
                lastread, lmtpfd = ts, fd
            elif name == 'sendto' and pgfd and fd == pgfd and cur is None:
                cur = {'data': lastread, 'q0': ts, 'recv': []}
            elif name == 'recvfrom' and cur is not None and 'clone' not in cur:
                cur['recv'].append(ts)
            elif name == 'clone' and cur is not None:
                cur['clone'] = ts
                if ret:
                    kids[ret.split()[0]] = cur
            elif name == 'clone_ret' and cur is not None:
                kids[ret] = cur
            elif name == 'sendto' and fd == lmtpfd and cur is not None and 'clone' in cur:
                cur['ack'] = ts
                msgs.append(cur)
                cur = None
        elif pid in kids:
            c = kids[pid]
            if name == 'execve':
                c['mexec'] = ts
            elif name == 'connect':
                c.setdefault('mconnect', ts)
            elif name == 'exit_group':
                c['mexit'] = ts
    rows = []
    for c in msgs:
        if any(k not in c for k in ('mexec', 'mconnect', 'mexit')) or not c['data'] or not c['recv']:
            continue
        rows.append({
            'end of the data read -> first statement (parse the mail)': c['q0'] - c['data'],
            'the statements on the worker\'s open connection': c['recv'][-1] - c['q0'],
            'reply building (-> fork of the mailer)': c['clone'] - c['recv'][-1],
            'fork + child set-up (-> execve msmtp)': c['mexec'] - c['clone'],
            'msmtp start-up (-> connect SMTP)': c['mconnect'] - c['mexec'],
            'msmtp SMTP dialogue (-> exit_group)': c['mexit'] - c['mconnect'],
            'mailer exit -> 250 written': c['ack'] - c['mexit'],
            'TOTAL end of the data -> 250': c['ack'] - c['data'],
        })
    table(rows)


SYSCALLS = [('execve', 'exec (kernel)'), ('exit_group', 'exit: unmapping, teardown (kernel)'),
            ('do_exit', 'exit: unmapping, teardown (kernel)'),
            ('mmap', 'mmap/mprotect/munmap (kernel)'), ('mprotect', 'mmap/mprotect/munmap (kernel)'),
            ('munmap', 'mmap/mprotect/munmap (kernel)'), ('clone', 'fork (kernel)'),
            ('openat', 'open/read/stat (kernel)'), ('read', 'open/read/stat (kernel)'),
            ('newfstatat', 'open/read/stat (kernel)'), ('connect', 'sockets, pipes (kernel)'),
            ('sendto', 'sockets, pipes (kernel)'), ('recvfrom', 'sockets, pipes (kernel)'),
            ('poll', 'sockets, pipes (kernel)'), ('write', 'sockets, pipes (kernel)')]


def classify(stack):
    kern = [s for s, d in stack if d == '[kernel.kallsyms]']
    user = [(s, d.split('/')[-1]) for s, d in stack if d != '[kernel.kallsyms]']
    if kern:
        ks = ' '.join(kern)
        if 'exc_page_fault' in ks:
            return 'page faults from ' + re.sub(r'\.so[.\d]*$', '', user[0][1] if user else '?')
        if 'ret_from_fork' in ks or 'schedule_tail' in ks:
            return 'fork (kernel)'
        for k, v in SYSCALLS:
            if re.search(r'(sys|do)_%s\b' % k, ks):
                return v
        return 'kernel, other: ' + kern[-1]
    if not user:
        return '?'
    return 'user: ' + re.sub(r'\.so[.\d]*$', '', user[0][1])


def cpu(fn, kidsfile, n, pm, worker=None):
    kids = set(open(kidsfile).read().strip().split(','))
    samples, par, cur = [], {}, None
    for line in open(fn):
        if not line.startswith('\t') and line.strip():
            m = re.search(r'sched_process_fork:\s+comm=(\S+) pid=(\d+) child_comm=(\S+) child_pid=(\d+)', line)
            if m:
                par[m[4]] = m[2]
                if m[2] == pm:
                    kids.add(m[4])	# a backend forked while recording
                cur = None
                continue
            m = re.match(r'\s*(.+?)\s+(\d+)\s+(\d+)\s+cpu-clock:', line)
            cur = [m[1], m[2], int(m[3]), []] if m else None
            if cur:
                samples.append(cur)
        elif line.strip() and cur is not None:
            m = re.match(r'\s*\S+\s+(.*?)\s+\((.*)\)\s*$', line)
            if m:
                cur[3].append((m[1], m[2]))
    # ours: the children of the process that forked the n runs, and theirs
    cnt = collections.Counter(par.values())
    mine = set()
    for root in [p for p, k in cnt.items() if n <= k <= n + 2]:
        mine |= {c for c, p in par.items() if p == root}
    for c, p in list(par.items()):
        if p in mine:
            mine.add(c)
    by = collections.defaultdict(collections.Counter)
    syms = collections.Counter()
    for comm, pid, period, stack in samples:
        if pid in kids:
            kind = 'postgres backend'
        elif pid == pm:
            kind = 'postmaster (forks the backends)'
        elif pid == worker:
            kind = 'keymail serve worker'
        elif comm == 'pgbouncer':
            kind = 'pgbouncer'
        elif pid in mine and comm in ('keymail', 'msmtp'):
            kind = comm
        else:
            continue
        by[kind][classify(stack)] += period
        if kind == 'postgres backend' and stack and stack[0][1].endswith('/postgres'):
            syms[stack[0][0]] += period
    for kind, c in by.items():
        tot = sum(c.values())
        print("%s: %.2f ms per mail" % (kind, tot / 1e6 / n))
        for k, v in c.most_common(12):
            if v / 1e6 / n >= 0.05:
                print("   %-50s %5.2f ms  %4.1f %%" % (k, v / 1e6 / n, 100.0 * v / tot))
    print('backend, top leaf symbols in postgres (ms): ' +
          ', '.join('%s %.2f' % (k, v / 1e6 / n) for k, v in syms.most_common(12)))


class SinkHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def rd():
            d = s.recv(65536)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            return d
        s.sendall(b"220 mailpath sink ESMTP\r\n")
        buf, data = b"", False
        while True:
            d = rd()
            if not d:
                return
            buf += d
            while True:
                if data:
                    i = buf.find(b"\r\n.\r\n")
                    if i < 0:
                        buf = buf[-4:]
                        break
                    buf, data = buf[i + 5:], False
                    s.sendall(b"250 OK\r\n")
                    continue
                i = buf.find(b"\r\n")
                if i < 0:
                    break
                line, buf = buf[:i].upper(), buf[i + 2:]
                if line.startswith(b"EHLO"):
                    s.sendall(b"250-mailpath\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif line.startswith(b"DATA"):
                    s.sendall(b"354 go on\r\n")
                    data = True
                elif line.startswith(b"QUIT"):
                    s.sendall(b"221 bye\r\n")
                    return
                else:
                    s.sendall(b"250 OK\r\n")


class Sink(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def sink(portfile):
    srv = Sink(("127.0.0.1", 0), SinkHandler)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


def lmtp(sock, mail, n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    f = s.makefile('rb')

    def reply():
        while True:
            line = f.readline()
            if line[3:4] != b'-':
                return line
    reply()
    s.sendall(b"LHLO bench.example\r\n")
    reply()
    body = open(mail, 'rb').read().replace(b"\r\n", b"\n").rstrip(b"\n").split(b"\n")
    body = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in body)
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        s.sendall(b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<pgp-public-keys@keys.test.example>\r\nDATA\r\n")
        for want in (b"250", b"250", b"354"):
            r = reply()
            assert r[:3] == want, r
        s.sendall(body + b".\r\n")
        r = reply()
        assert r[:3] == b"250", r
        ts.append((time.perf_counter() - t) * 1000)
    s.sendall(b"QUIT\r\n")
    reply()
    print("LMTP, one session, MAIL FROM -> 250: n %d, median %.2f ms (min %.2f, max %.2f)" %
          (n, statistics.median(ts), min(ts), max(ts)))


if __name__ == '__main__':
    a = sys.argv[1:]
    if a[0] == 'sink':
        sink(a[1])
    elif a[0] == 'lmtp':
        lmtp(a[1], a[2], int(a[3]))
    elif a[0] == 'phases':
        phases(a[1:])
    elif a[0] == 'lphases':
        lphases(a[1], a[2])
    elif a[0] == 'cpu':
        cpu(a[1], a[2], int(a[3]), a[4], a[5] if len(a) > 5 else None)
