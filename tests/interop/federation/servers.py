"""The servers of the federation interop test: a private CA, Starling, Prosody and ejabberd,
each with a generated configuration in its own scratch directory, started and stopped by PID.

Nothing here touches a system instance: Prosody and ejabberd run as their Debian users from the
scratch directory (as bench/compare.sh does), ejabberd with its own node name, cookie,
distribution port (no epmd) and inetrc; every listener is on 127.0.0.1.
"""

import os
import shutil
import signal
import socket
import subprocess
import time

LOOPBACK = "127.0.0.1"


class SetupError(Exception):
    pass


def free_port(taken=()):
    """A TCP port on loopback that is free now (bound then released), not in `taken`."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind((LOOPBACK, 0))
            port = s.getsockname()[1]
        if port not in taken:
            return port
    raise SetupError("no free port")


def accepts(port):
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1):
            return True
    except OSError:
        return False


def run(argv, timeout=60, what=None, env=None, cwd=None, check=True):
    """Runs a command to completion in a session of its own; on a timeout, or if the harness is
    interrupted meanwhile, the whole process group it made (e.g. ejabberdctl's control node)
    is killed by its id."""
    popen = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=env, cwd=cwd, text=True,
                             start_new_session=True)
    try:
        out, _ = popen.communicate(timeout=timeout)
    except BaseException as error:
        try:
            os.killpg(popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        popen.wait()
        if isinstance(error, subprocess.TimeoutExpired):
            raise SetupError(f"{what or argv[0]} did not finish within {timeout} s")
        raise
    result = subprocess.CompletedProcess(argv, popen.returncode, out, None)
    if check and result.returncode != 0:
        raise SetupError(f"{what or argv[0]} failed ({result.returncode}): {result.stdout[-2000:]}")
    return result


# --- certificates -------------------------------------------------------------------------------

class Pki:
    """A private CA made per run with the openssl CLI, and certificates it signs."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, 0o755)
        self.ca_cert = os.path.join(directory, "test-ca.crt")
        self.ca_key = os.path.join(directory, "test-ca.key")
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "2", "-keyout", self.ca_key, "-out", self.ca_cert,
             "-subj", "/CN=Starling federation interop CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"], what="openssl (CA)")
        os.chmod(self.ca_cert, 0o644)
        # The CA every server trusts for the others' certificates: this one, unless a run
        # replaces it with one that signed none of them (dialback only).
        self.trusted = self.ca_cert

    def issue(self, name, domains, owner=None):
        """A certificate for `domains` (the first is the CN; all are subjectAltName DNS names),
        returned as (certificate, key) paths; the key is given to the user `owner` if named."""
        cert = os.path.join(self.dir, f"{name}.crt")
        key = os.path.join(self.dir, f"{name}.key")
        csr = os.path.join(self.dir, f"{name}.csr")
        ext = os.path.join(self.dir, f"{name}.ext")
        run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={domains[0]}"],
            what=f"openssl (request of {name})")
        with open(ext, "w") as f:
            f.write("subjectAltName=" + ",".join(f"DNS:{d}" for d in domains) + "\n")
            f.write("extendedKeyUsage=serverAuth,clientAuth\n")
        run(["openssl", "x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key,
             "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert],
            what=f"openssl (certificate of {name})")
        os.chmod(cert, 0o644)
        if owner:
            shutil.chown(key, owner, owner)
        return cert, key


# --- processes ----------------------------------------------------------------------------------

class Process:
    """A child started in its own session. stop() sends SIGTERM to the server's own PID (which may
    be a descendant of the launcher, e.g. ejabberd's beam.smp), then SIGKILL to what is left of
    the process group this harness created, by its id."""

    def __init__(self, name, argv, output, env=None, cwd=None):
        self.name = name
        self.output = output
        self.out = open(output, "ab")
        self.popen = subprocess.Popen(argv, stdout=self.out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                      start_new_session=True)
        self.pid = self.popen.pid
        self.main_pid = self.pid

    def alive(self):
        return self.popen.poll() is None

    def stop(self, grace=20):
        # Every descendant now (some, like erl_child_setup, are session leaders of their own, out
        # of reach of killpg): each one still alive after the stop gets SIGKILL, by its PID.
        family = _descendants(self.pid)
        if os.environ.get('FEDTEST_DEBUG_STOP'):
            print(f'stop {self.name}: pid {self.pid} main {self.main_pid} family {_tree(self.pid)}', flush=True)
        self._stop(grace)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_pid_alive(p) for p in family):
            time.sleep(0.1)
        for p in family:
            if _pid_alive(p):
                try:
                    os.kill(p, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        return self.popen.returncode

    def _stop(self, grace):
        pids = [self.main_pid]
        if self.main_pid != self.pid:
            pids.append(self.pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            except PermissionError:
                pass
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                if pid == self.pid:
                    if self.popen.poll() is not None:
                        break
                elif not _pid_alive(pid):
                    break
                time.sleep(0.1)
        if self.popen.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                pass
        else:
            # The launcher ended; anything it left in its group (erl_child_setup...) goes too.
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.out.close()
        return self.popen.returncode


def _pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(predicate, timeout, what, process=None, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if process is not None and not process.alive():
            raise SetupError(f"{process.name} exited while waiting for {what} "
                             f"(status {process.popen.returncode}); see {process.output}")
        time.sleep(interval)
    raise SetupError(f"timed out after {timeout} s waiting for {what}")


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# --- Starling -----------------------------------------------------------------------------------

STARLING_MODULES = """\
  - disco
  - ping: {idle_interval: 300s, timeout: 60s}
  - version
  - time
  - roster
  - presence
  - last
  - vcard
  - offline
  - mam
  - carbons
  - pep
  - push
  - muc
"""


class Starling:
    domain = "starling.test"
    muc = "conference.starling.test"

    def __init__(self, args, work, pki, peer_domains, peer_s2s_port, s2s_port):
        self.args = args
        self.dir = os.path.join(work, "starling")
        os.makedirs(self.dir, exist_ok=True)
        self.cert, self.key = pki.issue("starling", [self.domain, self.muc])
        self.ca = pki.trusted
        self.s2s_port = s2s_port
        self.c2s_port = free_port({s2s_port})
        self.config = os.path.join(self.dir, "starling.yml")
        self.log = os.path.join(self.dir, "starlingd.log")
        self.env = dict(os.environ)
        libdir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(args.starlingd))),
                              "lib", "starling")
        if os.path.isdir(libdir):
            self.env["LD_LIBRARY_PATH"] = libdir + (
                ":" + self.env["LD_LIBRARY_PATH"] if self.env.get("LD_LIBRARY_PATH") else "")
        hosts = "".join(f'    {d}: "{LOOPBACK}:{peer_s2s_port}"\n' for d in peer_domains)
        with open(self.config, "w") as f:
            f.write(f"""# Generated by tests/interop/federation/federation_test.py
hosts: [{self.domain}]
listen:
  - {{type: c2s, address: {LOOPBACK}, port: {self.c2s_port}}}
  - {{type: s2s, address: {LOOPBACK}, port: {self.s2s_port}}}
tls:
  certificate: {self.cert}
  key: {self.key}
  required: true
storage:
  driver: sqlite
  path: {self.dir}/starling.db
module_path: {args.module_path}
schema_path: {args.schemas}
modules:
{STARLING_MODULES}log:
  level: debug
  file: {self.log}
control_socket: {self.dir}/starling.sock
threads: 2
s2s:
  ca_file: {self.ca}
  idle_timeout: 10m
  hosts:
{hosts}""")
        self.process = None

    def ctl(self, *argv, timeout=30):
        return run([self.args.starlingctl, "--config", self.config, *argv], timeout=timeout,
                   env=self.env, what="starlingctl " + " ".join(argv[:1]))

    def add_user(self, user, password):
        self.ctl("adduser", f"{user}@{self.domain}", password)

    def start(self, timeout):
        run([self.args.starlingd, "--config", self.config, "--check-config"], env=self.env,
            what="starlingd --check-config")
        self.process = Process("starlingd", [self.args.starlingd, "--config", self.config],
                               os.path.join(self.dir, "stdout.log"), env=self.env)
        wait_until(lambda: "starlingd ready" in read(self.log), timeout, "starlingd ready",
                   self.process)

    def stop(self):
        if self.process:
            self.process.stop()
            self.process = None


# --- Prosody ------------------------------------------------------------------------------------

def traced(argv, strace_file):
    """argv under strace (connect/send* of every thread), when strace_file is given."""
    if not strace_file:
        return argv
    return ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,sendmmsg", "-o",
            strace_file, *argv]


def network_report(strace_file):
    """(count of DNS-port or non-loopback destinations, sample lines) from an strace log."""
    import re
    bad = []
    total = 0
    for line in read(strace_file).splitlines():
        if "sin_port" not in line and "sin6_port" not in line:
            continue
        total += 1
        port = re.search(r"sin6?_port=htons\((\d+)\)", line)
        addr = re.search(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"', line)
        a = (addr.group(1) or addr.group(2)) if addr else ""
        if (port and port.group(1) == "53") or (a and not a.startswith("127.") and a != "::1"):
            bad.append(line.strip())
    return total, bad


class Prosody:
    name = "prosody"
    domain = "prosody.test"
    muc = "conference.prosody.test"

    def __init__(self, args, work, pki, dns_port):
        self.args = args
        self.dir = os.path.join(work, "prosody")
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "plugins"), exist_ok=True)
        self.cert, self.key = pki.issue("prosody", [self.domain, self.muc], owner="prosody")
        self.ca = pki.trusted
        self.c2s_port = free_port()
        self.s2s_port = free_port({self.c2s_port})
        self.dns_port = dns_port
        self.strace_file = os.path.join(work, "prosody.strace") if args.strace else None
        self.config = os.path.join(self.dir, "prosody.cfg.lua")
        self.log = os.path.join(self.dir, "prosody.log")
        d = self.dir
        dialback = args.auth == "dialback"
        with open(self.config, "w") as f:
            f.write(f"""-- Generated by tests/interop/federation/federation_test.py
pidfile = "{d}/prosody.pid"
data_path = "{d}/data"
plugin_paths = {{ "{d}/plugins" }}
log = {{ {{ levels = {{ min = "debug" }}, to = "file", filename = "{d}/prosody.log" }} }}
interfaces = {{ "{LOOPBACK}" }}
c2s_ports = {{ {self.c2s_port} }}
c2s_direct_tls_ports = {{ }}
s2s_ports = {{ {self.s2s_port} }}
s2s_interfaces = {{ "{LOOPBACK}" }}
s2s_direct_tls_ports = {{ }}
network_backend = "epoll"
admin_socket = "{d}/prosody.sock"

-- DNS: lua-unbound (net.unbound replaces net.adns) with a forwarder on the test stub, no
-- /etc/resolv.conf, no /etc/hosts: every query goes to the stub and only there. libunbound serves
-- "test." itself as a static (NXDOMAIN) zone by default (RFC 6761); "transparent" lets the
-- names the stub knows through.
unbound = {{
	resolvconf = false; hoststxt = false; forward = "{LOOPBACK}@{dns_port}";
	options = {{ ["local-zone:"] = "test. transparent" }};
}}

modules_enabled = {{
	"tls"; "saslauth"; "disco"; "roster"; "private"; "vcard"; "lastactivity";
	"pep"; "mam"; "carbons"; "ping"; "time"; "version"; "uptime";
	"stanza_debug"; {'"dialback";' if dialback else ''}
	-- XEP-0198 on s2s too (smacks_enabled_s2s defaults to true): Prosody enables it on a
	-- stream authenticated by SASL EXTERNAL, so Starling's s2s stream management meets a real
	-- peer both ways. Over dialback Prosody neither offers nor asks for it.
	"smacks";
	-- XEP-0288: one stream carries both directions, whichever server opens it.
	"s2s_bidi";
	-- s2s, s2s_auth_certs, presence, message, iq, offline and c2s load automatically.
	-- With certificates, no dialback: a federated stream proves EXTERNAL works both ways.
}}
modules_disabled = {{ {'' if dialback else '"dialback"'} }}

authentication = "internal_hashed"
storage = "internal"
default_archive_policy = true

c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = {'false' if dialback else 'true'}
s2s_timeout = 30
ssl = {{
	certificate = "{self.cert}";
	key = "{self.key}";
	cafile = "{self.ca}";
}}

VirtualHost "{self.domain}"

Component "{self.muc}" "muc"
	modules_enabled = {{ "muc_mam" }}
	restrict_room_creation = false
""")
        self.process = None

    def env(self):
        env = dict(os.environ)
        env["HOME"] = self.dir
        return env

    def prosodyctl(self, *argv, timeout=60):
        return run(["setpriv", "--reuid=prosody", "--regid=prosody", "--init-groups",
                    "prosodyctl", "--config", self.config, *argv], timeout=timeout,
                   env=self.env(), cwd=self.dir, what="prosodyctl " + argv[0])

    def prepare(self):
        run(["chown", "-R", "prosody:prosody", self.dir])
        # Files Prosody must read (the CA and its key) are in the shared PKI directory.

    def add_user(self, user, password):
        self.prosodyctl("register", user, self.domain, password)

    def start(self, timeout):
        self.process = Process("prosody", traced(["setpriv", "--reuid=prosody", "--regid=prosody",
                                                  "--init-groups", "prosody", "-F", "--config",
                                                  self.config], self.strace_file),
                               os.path.join(self.dir, "stdout.log"), env=self.env(), cwd=self.dir)
        wait_until(lambda: accepts(self.c2s_port) and accepts(self.s2s_port), timeout,
                   "Prosody's c2s and s2s ports", self.process)
        if self.strace_file:
            self.process.main_pid = _descendant(self.process.pid, "lua5.4") or self.process.pid

    def stop(self):
        if self.process:
            self.process.stop()
            self.process = None


# --- ejabberd -----------------------------------------------------------------------------------

class Ejabberd:
    name = "ejabberd"
    domain = "ejabberd.test"
    muc = "conference.ejabberd.test"

    def __init__(self, args, work, pki, dns_port):
        self.args = args
        self.dir = os.path.join(work, "ejabberd")
        for sub in ("spool", "logs"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        self.cert, self.key = pki.issue("ejabberd", [self.domain, self.muc], owner="ejabberd")
        self.ca = pki.trusted
        self.c2s_port = free_port()
        self.s2s_port = free_port({self.c2s_port})
        self.dist_port = free_port({self.c2s_port, self.s2s_port})
        self.dns_port = dns_port
        self.strace_file = os.path.join(work, "ejabberd.strace") if args.strace else None
        self.log = os.path.join(self.dir, "logs", "ejabberd.log")
        d = self.dir
        dialback = args.auth == "dialback"
        self.node = f"fedtest{os.getpid()}@localhost"
        with open(os.path.join(d, "ejabberd.yml"), "w") as f:
            f.write(f"""# Generated by tests/interop/federation/federation_test.py
loglevel: debug
log_rotate_count: 0
hide_sensitive_log_data: false
hosts:
  - {self.domain}
certfiles:
  - "{self.cert}"
  - "{self.key}"
ca_file: "{self.ca}"
s2s_use_starttls: required
s2s_access: all
s2s_dns_timeout: 5
s2s_dns_retries: 1
outgoing_s2s_families: [ipv4]
outgoing_s2s_timeout: 30
listen:
  -
    port: {self.c2s_port}
    ip: "{LOOPBACK}"
    module: ejabberd_c2s
    starttls_required: true
  -
    port: {self.s2s_port}
    ip: "{LOOPBACK}"
    module: ejabberd_s2s_in
auth_method: internal
default_db: mnesia
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  s2s:
    allow: all
  register:
    allow: all
api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"
modules:
  mod_disco: {{}}
  mod_roster: {{}}
  mod_offline: {{}}
  mod_last: {{}}
  mod_vcard: {{}}
  mod_caps: {{}}
  mod_pubsub:
    plugins:
      - flat
      - pep
  mod_mam:
    default: always
  mod_carboncopy: {{}}
  mod_ping: {{}}
  mod_time: {{}}
  mod_version: {{}}
  mod_muc:
    host: "{self.muc}"
    access_create: all
    default_room_options:
      mam: true
  mod_muc_admin: {{}}
{'  mod_s2s_dialback: {}' if dialback else ''}
""")
        # The Erlang resolver (inet_res, used for ejabberd's SRV lookups): the stub only.
        with open(os.path.join(d, "inetrc"), "w") as f:
            f.write(f"""%% Generated by tests/interop/federation/federation_test.py: DNS through the stub only.
%% No /etc/resolv.conf, no /etc/hosts: "localhost" (the node names' host, which ejabberdctl's
%% control node must resolve) is the one name known without DNS; everything else asks the stub.
{{resolv_conf, ""}}.
{{hosts_file, ""}}.
{{host, {{127,0,0,1}}, ["localhost"]}}.
{{nameserver, {{127,0,0,1}}, {dns_port}}}.
{{lookup, [file, dns]}}.
{{timeout, 2000}}.
{{retry, 2}}.
""")
        with open(os.path.join(d, "ejabberdctl.cfg"), "w") as f:
            f.write(f"""ERLANG_NODE={self.node}
ERL_DIST_PORT={self.dist_port}
INET_DIST_INTERFACE=127.0.0.1
EJABBERD_PID_PATH={d}/ejabberd.pid
EJABBERD_CONFIG_PATH={d}/ejabberd.yml
CONTRIB_MODULES_PATH={d}/contrib
CONTRIB_MODULES_CONF_DIR={d}/modules.d
EJABBERD_BYPASS_WARNINGS=true
""")
        with open(os.path.join(d, ".erlang.cookie"), "w") as f:
            f.write(os.urandom(12).hex())
        os.chmod(os.path.join(d, ".erlang.cookie"), 0o400)
        self.process = None

    def env(self):
        env = dict(os.environ)
        env["HOME"] = self.dir
        return env

    def ctl_argv(self, *argv):
        return ["setpriv", "--reuid=ejabberd", "--regid=ejabberd", "--init-groups",
                "/usr/sbin/ejabberdctl", "--config-dir", self.dir,
                "--ctl-config", os.path.join(self.dir, "ejabberdctl.cfg"),
                "--spool", os.path.join(self.dir, "spool"),
                "--logs", os.path.join(self.dir, "logs"), *argv]

    def ejabberdctl(self, *argv, timeout=60, check=True):
        return run(self.ctl_argv(*argv), timeout=timeout, env=self.env(), cwd=self.dir,
                   what="ejabberdctl " + argv[0], check=check)

    def prepare(self):
        run(["chown", "-R", "ejabberd:ejabberd", self.dir])

    def add_user(self, user, password):
        self.ejabberdctl("register", user, self.domain, password)

    def start(self, timeout):
        self.process = Process("ejabberd", traced(self.ctl_argv("foreground"), self.strace_file),
                               os.path.join(self.dir, "stdout.log"), env=self.env(), cwd=self.dir)
        wait_until(lambda: accepts(self.c2s_port) and accepts(self.s2s_port), timeout,
                   "ejabberd's c2s and s2s ports", self.process, interval=0.5)
        # ejabberdctl (sh) runs erl, which execs beam.smp: the VM is what we signal.
        beam = _descendant(self.process.pid, "beam.smp")
        if beam:
            self.process.main_pid = beam
        wait_until(lambda: self.ejabberdctl("status", check=False, timeout=30).returncode == 0,
                   timeout, "ejabberdctl status", self.process, interval=1)

    def stop(self):
        if self.process:
            self.process.stop()
            self.process = None


def _descendant(pid, comm):
    """The PID of the first descendant of `pid` whose command name is `comm`."""
    for child, name in _tree(pid):
        if name == comm:
            return child
    return None


def _descendants(pid):
    return [child for child, _ in _tree(pid)]


def _tree(pid):
    """(pid, command name) of every descendant of `pid`, breadth first."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append((int(entry), name))
    found = []
    todo = [pid]
    while todo:
        p = todo.pop(0)
        for child, name in children.get(p, []):
            found.append((child, name))
            todo.append(child)
    return found
