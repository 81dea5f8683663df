"""Record every message published on a vhost through RabbitMQ's firehose.

    python tap.py --url rabbit://guest:guest@127.0.0.1:5672/VHOST --out FILE.jsonl --ready-file F

Needs `rabbitmqctl trace_on -p VHOST` (realnova.py tap does it). Binds an exclusive
queue to `amq.rabbitmq.trace` with `publish.#` and appends one JSON line per publish:
  {"t": unix time, "exchange": ..., "routing_keys": [...], "routed_queues": [...],
   "connection": ..., "channel": ..., "user": ..., "properties": {...},
   "body": the message body (JSON when it parses),
   "oslo": the oslo envelope's `oslo.message` decoded, when there is one}
Writes F once consuming, flushes every line, stops on SIGTERM.
"""

import argparse
import json
import os
import signal
import sys
import time

import kombu


def decode(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {decode(k): decode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [decode(v) for v in value]
    return value


def record(body, message, out):
    h = decode(message.headers or {})
    raw = message.body if isinstance(message.body, bytes) else str(message.body).encode()
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = raw.decode("utf-8", "replace")
    entry = {
        "t": time.time(),
        "exchange": h.get("exchange_name"),
        "routing_keys": h.get("routing_keys"),
        "routed_queues": h.get("routed_queues"),
        "connection": h.get("connection"),
        "channel": h.get("channel"),
        "user": h.get("user"),
        "properties": h.get("properties"),
        "body": payload,
    }
    if isinstance(payload, dict) and isinstance(payload.get("oslo.message"), str):
        entry["oslo"] = json.loads(payload["oslo.message"])
    out.write(json.dumps(entry, sort_keys=True, default=str) + "\n")
    out.flush()
    message.ack()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--ready-file", required=True)
    args = p.parse_args()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    trace = kombu.Exchange("amq.rabbitmq.trace", type="topic", passive=True)
    queue = kombu.Queue("", exchange=trace, routing_key="publish.#", exclusive=True,
                        auto_delete=True)
    with open(args.out, "a") as out, kombu.Connection(args.url.replace("rabbit://", "amqp://", 1)) as conn:
        # Raw bodies: the firehose copies carry the original content type.
        with conn.Consumer(queue, callbacks=[lambda b, m: record(b, m, out)], accept=None,
                           no_ack=False) as consumer:
            consumer.qos(prefetch_count=100)
            open(args.ready_file, "w").close()
            print("tap: recording to %s" % args.out, file=sys.stderr, flush=True)
            while not stop:
                try:
                    conn.drain_events(timeout=0.5)
                except TimeoutError:
                    pass
                except OSError as e:
                    if stop:
                        break
                    raise SystemExit("tap: broker connection lost: %s" % e)
    os.remove(args.ready_file)


if __name__ == "__main__":
    main()
