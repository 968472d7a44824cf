"""Set resource limits, drop to an unprivileged user id, then exec the kernel (standard library only).

    python -S -E _confine.py --uid U --limit NAME=VALUE ... -- KERNEL ARGV...

Run as a script (``-S``: no site-packages, so it starts in ~20 ms) inside the sandbox, before
any of the learner's code. ``--uid`` is only given when the grader runs as root: then this
process is root in the sandbox's namespaces, lowers the limits (RLIMIT_NPROC then counts the
processes of user U, which no one else uses), leaves every group, takes user and group U,
and checks that it cannot become root again before it execs the kernel.
"""
import os
import resource
import sys


def main(argv):
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    uid = None
    for index, option in enumerate(options):
        if option == "--uid":
            uid = int(options[index + 1])
        elif option == "--limit":
            name, value = options[index + 1].split("=")
            limit = getattr(resource, "RLIMIT_" + name.upper())
            value = int(value)
            _, hard = resource.getrlimit(limit)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(limit, (value, value))
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        try:
            os.setuid(0)
        except PermissionError:
            pass
        else:
            raise SystemExit("confine: still able to become root; refusing to run the kernel")
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
