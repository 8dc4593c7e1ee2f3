#!/usr/bin/env python3
# tests/recon-shuttle.py - carries the mails two keymail instances write
# to a capture outbox to the other instance's `keymail filter`, in the
# order they were filed, until no new mail appears (reconciliation.md 15).
#
#   recon-shuttle.py --outbox DIR --keymail PROG --route ADDR=CONF ...
#       [--log FILE] [--drop SEL] [--dup SEL] [--hold SEL] [--passes N]
#       [--timeout S] [--env NAME=VALUE ...]
#
# SEL is TYPE:N, the Nth mail (from 1, counted over the whole run) whose
# Subject is "RECON TYPE ..." (TYPE also "incremental"); a SEL may be
# given several times. --drop loses the mail, --dup delivers it twice in
# a row, --hold delivers it after the next mail instead (a reordering),
# --kill delivers it with the mailer hanging (the capture mailer waits
# while --hang-file exists and writes its pid to --hanging-file), kills
# the filter and its mailer with SIGKILL once the mailer hangs, and then
# delivers it again as the MTA would (ACTION killed, then retry);
# --tempfail delivers it with the mailer failing temporarily (while
# --fail-file exists), then again as the MTA would (tempfail, retry).
# Each delivery is one line of the log, tab-separated:
#   FILE  TO  SUBJECT  EXIT  BYTES  ACTION  CPU  WALL
# (ACTION: delivered, dropped, duplicate, held; CPU: user + system
# seconds of the filter process, WALL: its elapsed seconds; bench/recon.sh
# reads them). A mail for an address
# without a route, a filter that runs past the timeout, or more passes
# than allowed make the shuttle exit 1. State (the mails done) is kept in
# DIR/.done, so one run can go on where another stopped.
import argparse
import os
import resource
import signal
import subprocess
import sys
import time


def header(path, name):
    with open(path, 'rb') as f:
        for line in f:
            line = line.rstrip(b'\n')
            if not line:
                break
            if line.lower().startswith(name.lower() + b':'):
                return line.split(b':', 1)[1].strip().decode('ascii', 'replace')
    return ''


def kind(subject):
    w = subject.split()
    if len(w) >= 2 and w[0].upper() == 'RECON':
        return w[1].upper()
    return subject.strip().lower()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--outbox', required=True)
    ap.add_argument('--keymail', required=True)
    ap.add_argument('--route', action='append', default=[])
    ap.add_argument('--log')
    ap.add_argument('--drop', action='append', default=[])
    ap.add_argument('--dup', action='append', default=[])
    ap.add_argument('--hold', action='append', default=[])
    ap.add_argument('--kill', action='append', default=[])
    ap.add_argument('--tempfail', action='append', default=[])
    ap.add_argument('--fail-file')
    ap.add_argument('--hang-file')
    ap.add_argument('--hanging-file')
    ap.add_argument('--passes', type=int, default=40)
    ap.add_argument('--timeout', type=float, default=120)
    ap.add_argument('--env', action='append', default=[])
    a = ap.parse_args()
    routes = {}
    for r in a.route:
        addr, conf = r.split('=', 1)
        routes[addr.lower()] = conf
    env = dict(os.environ)
    for e in a.env:
        k, v = e.split('=', 1)
        env[k] = v
    sels = {}
    for action in ('drop', 'dup', 'hold', 'kill', 'tempfail'):
        for s in getattr(a, action):
            t, n = s.split(':')
            sels[(t.upper() if t != 'incremental' else t, int(n))] = action
    donefile = os.path.join(a.outbox, '.done')
    done = set()
    counts = {}
    if os.path.exists(donefile):
        for line in open(donefile):
            w = line.split()
            done.add(w[0])
            counts[w[1]] = counts.get(w[1], 0) + 1
    log = open(a.log, 'a') if a.log else None
    rc = 0
    held = []

    def deliver(name, path, to, subj, action):
        nonlocal rc
        conf = routes.get(to.lower())
        if conf is None:
            print('shuttle: no route for %s (%s)' % (to, name), file=sys.stderr)
            rc = 1
            return
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        try:
            with open(path, 'rb') as f:
                p = subprocess.run([a.keymail, '-c', conf, 'filter'], stdin=f,
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, env=env,
                                   timeout=a.timeout)
            code = p.returncode
            err = p.stderr.decode('utf-8', 'replace')
        except subprocess.TimeoutExpired:
            code = 'timeout'
            err = ''
            rc = 1
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        if log:
            log.write('%s\t%s\t%s\t%s\t%d\t%s\t%.3f\t%.3f\n' % (
                name, to, subj, code, os.path.getsize(path), action, cpu,
                time.monotonic() - t0))
            log.flush()
        if err:
            with open(conf + '.log', 'a') as f:
                f.write(err)

    def deliver_killed(name, path, to, subj):
        conf = routes.get(to.lower())
        for f in (a.hanging_file,):
            if os.path.exists(f):
                os.unlink(f)
        open(a.hang_file, 'w').close()
        with open(path, 'rb') as f:
            p = subprocess.Popen([a.keymail, '-c', conf, 'filter'], stdin=f,
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env=env,
                                 start_new_session=True)
        waited = 0.0
        while not os.path.exists(a.hanging_file) and p.poll() is None \
                and waited < a.timeout:
            time.sleep(0.05)
            waited += 0.05
        action = 'killed'
        if p.poll() is not None:
            action = 'not-killed'
        else:
            time.sleep(0.1)
            os.killpg(p.pid, signal.SIGKILL)
            try:
                mpid = int(open(a.hanging_file).read().split()[0])
                os.killpg(os.getpgid(mpid), signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass
        p.wait()
        os.unlink(a.hang_file)
        if log:
            log.write('%s\t%s\t%s\t%s\t%d\t%s\n' % (name, to, subj, p.returncode,
                      os.path.getsize(path), action))
            log.flush()
        deliver(name, path, to, subj, 'retry')

    passes = 0
    while True:
        names = sorted(n for n in os.listdir(a.outbox)
                       if n.endswith('.eml') and n not in done)
        if not names and not held:
            break
        passes += 1
        if passes > a.passes:
            print('shuttle: still mail after %d passes' % a.passes,
                  file=sys.stderr)
            rc = 1
            break
        for name in names:
            path = os.path.join(a.outbox, name)
            subj = header(path, b'Subject')
            to = header(path, b'To')
            k = kind(subj)
            counts[k] = counts.get(k, 0) + 1
            action = sels.get((k, counts[k]), 'delivered')
            done.add(name)
            with open(donefile, 'a') as f:
                f.write('%s %s\n' % (name, k))
            if action == 'drop':
                if log:
                    log.write('%s\t%s\t%s\t-\t%d\tdropped\n' % (
                        name, to, subj, os.path.getsize(path)))
                continue
            if action == 'hold':
                held.append((name, path, to, subj))
                continue
            if action == 'kill':
                deliver_killed(name, path, to, subj)
                continue
            if action == 'tempfail':
                open(a.fail_file, 'w').close()
                deliver(name, path, to, subj, 'tempfail')
                os.unlink(a.fail_file)
                deliver(name, path, to, subj, 'retry')
                continue
            deliver(name, path, to, subj, 'delivered')
            if action == 'dup':
                deliver(name, path, to, subj, 'duplicate')
            while held:
                h = held.pop(0)
                deliver(h[0], h[1], h[2], h[3], 'held')
        if not names:
            while held:
                h = held.pop(0)
                deliver(h[0], h[1], h[2], h[3], 'held')
    sys.exit(rc)


main()
