"""novactor hypervisors joining a real Nova 34 control plane, measured (issue 13's bench).

Run by bench/real_nova_scale.sh with the real-Nova venv's python:

    python bench/real_nova_scale.py --novactor target/release/novactor --hosts 1000

One run stands up the control plane (scripts/real-nova/realnova.py), one Python
nova-compute (Nova's fake driver) and one novactor process with [compute] fake_hosts =
N, then measures, in the same run:

- time from starting novactor until all N hosts are schedulable: services up in the API,
  N + 1 hypervisors listed, N + 1 resource providers with inventory in placement, and
  N + 1 host mappings in the API database (the scheduler mapped them to cell1);
- resident memory (VmRSS) of the novactor process against the Python nova-compute's;
- RabbitMQ connections and channels each process holds (rabbitmqctl);
- boot POST -> ACTIVE on a novactor host against the Python host, forced by
  availability zone "nova:<host>", several times each, alternating.

Prints a JSON document; --markdown prints the table docs/BENCHMARKS.md keeps.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REALNOVA = os.path.join(ROOT, "scripts", "real-nova", "realnova.py")


def log(message):
    print("real_nova_scale: %s" % message, file=sys.stderr, flush=True)


def realnova(*args):
    out = subprocess.run([sys.executable, REALNOVA, *args], check=True,
                         stdout=subprocess.PIPE, text=True)
    return out.stdout


def api(facts, method, path, body=None, version="2.74"):
    url = facts["endpoints"]["nova_api"] + path
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "X-Auth-Token": "notused",
        "OpenStack-API-Version": "compute %s" % version,
        "Content-Type": "application/json",
    })
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read()
        return json.loads(text) if text else None


def placement(facts, path, version="1.14"):
    request = urllib.request.Request(facts["endpoints"]["placement"] + path, headers={
        "X-Auth-Token": "admin", "OpenStack-API-Version": "placement %s" % version})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def mysql_count(database, table):
    out = subprocess.run(["mysql", "-uroot", "-h127.0.0.1", "-N", "-e",
                          "SELECT COUNT(*) FROM %s.%s" % (database, table)],
                         check=True, stdout=subprocess.PIPE, text=True)
    return int(out.stdout.strip() or 0)


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def amqp_usage(vhost):
    out = subprocess.run(["rabbitmqctl", "-q", "list_connections", "-p", vhost, "--no-table-headers",
                          "client_properties", "channels"], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    usage = {}
    for line in out.splitlines():
        name = "novactor" if "novactor" in line else ("nova-compute" if "nova-compute" in line else None)
        if name is None:
            continue
        channels = int(line.rsplit("\t", 1)[-1].strip() or 0)
        connections, total = usage.get(name, (0, 0))
        usage[name] = (connections + 1, total + channels)
    return usage


def wait(what, deadline_s, probe, interval=1.0):
    end = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < end:
        ok, last = probe()
        if ok:
            return last
        time.sleep(interval)
    raise SystemExit("timed out after %ds waiting for %s; last seen: %s" % (deadline_s, what, last))


def hypervisor_count(facts):
    """Every hypervisor: Nova pages the list at [api] max_limit (1000), so follow the
    `next` links (microversion 2.33+)."""
    count, path = 0, "/os-hypervisors"
    while path:
        body = api(facts, "GET", path)
        count += len(body["hypervisors"])
        following = [link["href"] for link in body.get("hypervisors_links", [])
                     if link.get("rel") == "next"]
        path = following[0].split("/v2.1", 1)[1] if following else None
    return count


def schedulable(facts, hosts):
    services = api(facts, "GET", "/os-services?binary=nova-compute")["services"]
    up = sum(1 for s in services if s["state"] == "up")
    hypervisors = hypervisor_count(facts)
    providers = placement(facts, "/resource_providers?resources=VCPU:1")["resource_providers"]
    mapped = mysql_count(facts["database_names"]["api"], "host_mappings")
    seen = {"up": up, "hypervisors": hypervisors, "providers": len(providers), "mapped": mapped}
    return all(v >= hosts + 1 for v in seen.values()), seen


def boot_seconds(facts, host, flavor):
    started = time.monotonic()
    server = api(facts, "POST", "/servers", {"server": {
        "name": "bench-%s" % host, "flavorRef": flavor, "imageRef": facts["image"]["id"],
        "networks": "none", "availability_zone": "nova:%s" % host}})["server"]
    uuid = server["id"]
    while True:
        status = api(facts, "GET", "/servers/%s" % uuid)["server"]["status"]
        if status == "ACTIVE":
            elapsed = time.monotonic() - started
            break
        if status == "ERROR":
            raise SystemExit("boot on %s went to ERROR" % host)
        if time.monotonic() - started > 300:
            raise SystemExit("boot on %s not ACTIVE after 300 s" % host)
        time.sleep(0.05)
    api(facts, "DELETE", "/servers/%s" % uuid)
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--novactor", required=True, help="the novactor binary (a release build)")
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--boots", type=int, default=5, help="boots per host kind")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--report-interval", type=int, default=10,
                        help="the computes' heartbeat period (Nova's default 10)")
    parser.add_argument("--conductor-workers", type=int, default=2,
                        help="nova-conductor workers of the control plane")
    args = parser.parse_args()
    # Stopped by SIGTERM (or SIGINT, which a shell's background job ignores): still take
    # everything down.
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    work = tempfile.mkdtemp(prefix="real-nova-scale-")
    facts = json.loads(realnova("up", "--workdir", work, "--report-interval",
                                str(args.report_interval), "--service-down-time",
                                str(6 * args.report_interval), "--conductor-workers",
                                str(args.conductor_workers)))
    novactor = None
    try:
        realnova("compute", "--workdir", work, "--host", "pycompute1")
        with open(os.path.join(work, "realnova.json")) as f:
            python_pid = json.load(f)["processes"]["nova-compute@pycompute1"]["pid"]
        state = os.path.join(work, "novactor-state")
        conf = os.path.join(work, "novactor.conf")
        with open(conf, "w") as f:
            f.write("[DEFAULT]\ntransport_url = %s\nhost = nvx\nmy_ip = 127.0.0.1\n"
                    "state_path = %s\nreport_interval = %d\nservice_down_time = %d\n\n"
                    "[compute]\nfake_hosts = %d\n\n[placement]\nauth_type = admin_token\n"
                    "endpoint = %s\ntoken = admin\n\n[dashboard]\nport = 0\n"
                    % (facts["transport_url"], state, args.report_interval, 6 * args.report_interval,
                       args.hosts, facts["endpoints"]["placement"]))
        log("starting novactor with %d hosts" % args.hosts)
        started = time.monotonic()
        novactor = subprocess.Popen([args.novactor, "run", "--actors", "compute", "--config-file", conf],
                                    stdout=subprocess.DEVNULL,
                                    stderr=open(os.path.join(work, "novactor.log"), "w"))
        seen = wait("%d hosts schedulable" % args.hosts, 1800, lambda: schedulable(facts, args.hosts), 2.0)
        join_s = time.monotonic() - started
        log("all schedulable after %.1f s: %s" % (join_s, seen))
        rss = {"novactor": rss_mib(novactor.pid), "nova-compute": rss_mib(python_pid)}
        amqp = amqp_usage(facts["rabbit_vhost"])
        boots = {"novactor": [], "python": []}
        for i in range(args.boots):
            boots["novactor"].append(boot_seconds(facts, "nvx-%d" % (1 + i * args.hosts // args.boots), "1"))
            boots["python"].append(boot_seconds(facts, "pycompute1", "1"))
        result = {
            "hosts": args.hosts,
            "join_seconds": round(join_s, 1),
            "seen": seen,
            "rss_mib": {k: round(v, 1) for k, v in rss.items()},
            "amqp": {k: {"connections": c, "channels": ch} for k, (c, ch) in amqp.items()},
            "boot_seconds": {k: {"median": round(statistics.median(v), 3),
                                 "min": round(min(v), 3), "max": round(max(v), 3)}
                             for k, v in boots.items()},
            "rss_novactor_after_boots_mib": round(rss_mib(novactor.pid), 1),
        }
        print(json.dumps(result, indent=2))
        if args.markdown:
            b = result["boot_seconds"]
            print("\n| figure | value |\n|---|---|")
            print("| hosts schedulable (services up, hypervisors, providers, host mappings) | %d + 1 Python, after %.1f s |" % (args.hosts, join_s))
            print("| RSS: novactor (%d hosts) vs one Python nova-compute | %.1f MiB vs %.1f MiB |" % (args.hosts, rss["novactor"], rss["nova-compute"]))
            for name, (c, ch) in sorted(amqp.items()):
                print("| RabbitMQ: %s | %d connections, %d channels |" % (name, c, ch))
            print("| boot POST -> ACTIVE, median of %d (min-max) | novactor host %.3f s (%.3f-%.3f); Python host %.3f s (%.3f-%.3f) |" % (
                args.boots, b["novactor"]["median"], b["novactor"]["min"], b["novactor"]["max"],
                b["python"]["median"], b["python"]["min"], b["python"]["max"]))
    finally:
        if novactor is not None:
            novactor.terminate()
            try:
                novactor.wait(timeout=60)
            except subprocess.TimeoutExpired:
                novactor.kill()
        realnova("down", "--workdir", work)


if __name__ == "__main__":
    main()
