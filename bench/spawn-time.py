#!/usr/bin/env python3
"""Runs one command and prints "WALL_MS MAXRSS_KB STATUS" on stdout.

WALL_MS is the time from just before posix_spawn(2) to the return of wait4(2): the tool's
exec, start-up, work and exit, and nothing of the shell around it (a fork of bash and an exec
of GNU time cost more than a whole probe of a few milliseconds, and would be counted equally
for every tool, diluting every ratio). MAXRSS_KB is wait4's ru_maxrss of the child. The
command's stdin is /dev/null; its stdout and stderr go to the file given by --out (default
/dev/null).

    bench/spawn-time.py [--out FILE] -- CMD [ARG...]
"""
import os
import shutil
import sys
import time


def main() -> int:
    args = sys.argv[1:]
    out = os.devnull
    if len(args) >= 2 and args[0] == "--out":
        out, args = args[1], args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    exe = shutil.which(args[0]) or args[0]
    fd_in = os.open(os.devnull, os.O_RDONLY)
    fd_out = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    actions = [
        (os.POSIX_SPAWN_DUP2, fd_in, 0),
        (os.POSIX_SPAWN_DUP2, fd_out, 1),
        (os.POSIX_SPAWN_DUP2, fd_out, 2),
    ]
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(exe, args, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    t1 = time.perf_counter_ns()
    code = os.waitstatus_to_exitcode(status)
    print(f"{(t1 - t0) / 1e6:.3f} {usage.ru_maxrss} {code if code >= 0 else 128 - code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
