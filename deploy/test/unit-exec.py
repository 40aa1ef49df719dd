#!/usr/bin/env python3
"""Runs the ExecStart= of a systemd service unit the way systemd would, without systemd.

    python3 deploy/test/unit-exec.py UNIT [NAME=VALUE ...]

The unit's Environment= lines give the environment (on top of this process's), NAME=VALUE arguments
override them (as /etc/default/tslab-textfile would; EnvironmentFile= is not read). The command line
is unescaped as systemd does for the cases the units of deploy/systemd use: `$$` is a literal `$`,
`${NAME}` and `$NAME` are replaced by the environment's value, `%%` is `%` (other specifiers are
refused), quotes group words. User= is ignored: the command runs as the caller. Exits with the
command's status. The integration test (deploy/test/integration.sh) uses it so that what it tests is
the unit's own command line, not a copy of it.
"""
import os
import re
import shlex
import subprocess
import sys


def parse(unit_path):
    env, execs, section = [], [], None
    lines = open(unit_path, encoding="utf-8").read().replace("\\\n", " ").splitlines()
    for line in lines:
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        key, _, value = line.partition("=")
        if section == "[Service]" and key.strip() == "Environment":
            env.extend(shlex.split(value))
        elif section == "[Service]" and key.strip() == "ExecStart":
            execs.append(value.strip())
    return env, execs


def unescape(cmd, environ):
    if re.search(r"%[^%]", cmd.replace("%%", "")):
        raise SystemExit(f"unit-exec: specifiers other than %% are not supported: {cmd}")
    out, i = [], 0
    while i < len(cmd):
        if cmd.startswith("$$", i):
            out.append("$"); i += 2
        elif cmd.startswith("${", i):
            j = cmd.index("}", i)
            out.append(environ.get(cmd[i + 2:j], "")); i = j + 1
        elif cmd[i] == "$" and re.match(r"\w", cmd[i + 1:i + 2] or " "):
            m = re.match(r"\$(\w+)", cmd[i:])
            out.append(environ.get(m.group(1), "")); i += len(m.group(0))
        elif cmd.startswith("%%", i):
            out.append("%"); i += 2
        else:
            out.append(cmd[i]); i += 1
    return "".join(out)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    unit_env, execs = parse(sys.argv[1])
    if len(execs) != 1:
        raise SystemExit(f"unit-exec: expected one ExecStart= in {sys.argv[1]}, found {len(execs)}")
    environ = dict(os.environ)
    for assignment in unit_env + sys.argv[2:]:
        name, sep, value = assignment.partition("=")
        if not sep:
            raise SystemExit(f"unit-exec: not NAME=VALUE: {assignment}")
        environ[name] = value
    cmd = execs[0].lstrip("-@+!:")  # prefixes change failure handling and privileges, not the command
    argv = shlex.split(unescape(cmd, environ))
    return subprocess.run(argv, env=environ).returncode


if __name__ == "__main__":
    sys.exit(main())
