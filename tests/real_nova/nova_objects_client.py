#!/usr/bin/env python3
"""Drive a conductor with the real ``nova`` package's own objects, as a nova-compute does.

Run with the real-Nova venv's python (tests/real_nova/nova_objects.rs does):

    python nova_objects_client.py --transport-url rabbit://guest:guest@127.0.0.1:5672/VHOST \
        --host HOST --instance UUID --request-id REQ [--node-uuid UUID]

Set-up exactly as ``nova/cmd/compute.py``: Nova's ``config.parse_args`` on the global
``cfg.CONF`` (oslo.messaging 18 registers its tracing options only there), the transport URL
and ``control_exchange = nova``, ``rpc.init``, ``objects.register_all()``, no database access
(``nova.db.main.api.DISABLE_DB_ACCESS``), and
``NovaObject.indirection_api = conductor_rpcapi.ConductorAPI()``: every remotable method
below goes to the conductor on topic ``conductor`` and its answer is deserialized into Nova's
own object classes (``NovaObjectSerializer``).

The scenario (a compute's start-up, an instance's build steps, action events) prints one
JSON line per step on stdout:

    {"step": NAME, "call": WHAT, "ok": true, "value": ...}
    {"step": NAME, "call": WHAT, "ok": false, "error": {"class", "module", "message"}}

``value`` is plain JSON: objects as ``{"class": name, "version": v, "fields": {set fields},
"changed": [obj_what_changed]}``, datetimes as ISO 8601 text. A step that fails does not
stop the scenario (a later step may then fail too); the exit status is 0 once every step ran.
The instance must exist on HOST, and an action with REQ as its request id must exist for it.
"""

# Nova's services start with this (nova/cmd/compute.py): threading, not eventlet.
from nova import monkey_patch; monkey_patch.patch(backend='threading')  # noqa: E702,I100

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import traceback  # noqa: E402

from oslo_config import cfg  # noqa: E402

from nova.conductor import rpcapi as conductor_rpcapi  # noqa: E402
from nova import config  # noqa: E402
from nova import context as nova_context  # noqa: E402
import nova.db.main.api  # noqa: E402
from nova import exception  # noqa: E402
from nova import objects  # noqa: E402
from nova.objects import base as objects_base  # noqa: E402
from nova import rpc  # noqa: E402


def plain(value, depth=0):
    """A value as plain JSON (objects as their set fields, without lazy-loading)."""
    if isinstance(value, objects_base.NovaObject):
        fields = {}
        if depth < 4:
            for name in sorted(value.fields):
                if value.obj_attr_is_set(name):
                    fields[name] = plain(getattr(value, name), depth + 1)
        return {
            'class': type(value).__name__,
            'version': value.VERSION,
            'fields': fields,
            'changed': sorted(value.obj_what_changed()),
        }
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v, depth + 1) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def error_of(exc):
    """An exception as class (without oslo's ``_Remote`` suffix), module and message."""
    name = type(exc).__name__
    if name.endswith('_Remote'):
        name = name[:-len('_Remote')]
    module = type(exc).__module__
    try:
        message = exc.format_message()
    except Exception:
        message = str(exc)
    return {
        'class': name,
        'module': module,
        'message': message,
        'nova_exception': isinstance(exc, exception.NovaException),
    }


def step(name, call, fn):
    """Run ``fn``; print its value (or its exception) as one JSON line; return the value."""
    try:
        value = fn()
    except Exception as exc:
        print(json.dumps({'step': name, 'call': call, 'ok': False,
                          'error': error_of(exc)}), flush=True)
        traceback.print_exc(file=sys.stderr)
        return None
    print(json.dumps({'step': name, 'call': call, 'ok': True,
                      'value': plain(value)}), flush=True)
    return value


def set_up(transport_url, workdir):
    """What nova/cmd/compute.py does before its service starts, on the global CONF: a
    nova.conf of the transport URL (``transport_url`` is registered only once a transport
    is made, so it cannot be overridden before), parsed by Nova's ``parse_args``."""
    conf = os.path.join(workdir, 'nova.conf')
    with open(conf, 'w') as f:
        f.write('[DEFAULT]\ntransport_url = %s\ncontrol_exchange = nova\n'
                'rpc_response_timeout = 30\n' % transport_url)
    config.parse_args(['nova-objects-client', '--config-file', conf],
                      default_config_files=[], configure_db=False)
    assert cfg.CONF.control_exchange == 'nova', cfg.CONF.control_exchange
    objects.register_all()
    nova.db.main.api.DISABLE_DB_ACCESS = True
    objects_base.NovaObject.indirection_api = conductor_rpcapi.ConductorAPI()


def scenario(ctx, host, instance_uuid, node_uuid):
    binary = 'nova-compute'

    # A compute's start-up (rpc/phase-compute-startup.json).
    step('service_missing', 'Service.get_by_host_and_binary',
         lambda: objects.Service.get_by_host_and_binary(ctx, host, binary))

    def create_service():
        service = objects.Service(ctx, host=host, binary=binary,
                                  topic='compute', report_count=0)
        service.create()
        return service
    service = step('service_create', 'Service.create', create_service)

    step('service_found', 'Service.get_by_host_and_binary',
         lambda: objects.Service.get_by_host_and_binary(ctx, host, binary))

    def heartbeat():
        service.report_count += 1
        service.save()
        return service
    if service is not None:
        step('service_save', 'Service.save', heartbeat)
    step('service_by_compute_host', 'Service.get_by_compute_host',
         lambda: objects.Service.get_by_compute_host(ctx, host))

    step('nodes_missing', 'ComputeNodeList.get_all_by_host',
         lambda: objects.ComputeNodeList.get_all_by_host(ctx, host))
    step('node_missing', 'ComputeNode.get_by_uuid',
         lambda: objects.ComputeNode.get_by_uuid(ctx, node_uuid))

    def create_node():
        node = objects.ComputeNode(
            ctx, uuid=node_uuid,
            service_id=service.id if service is not None else None,
            host=host, hypervisor_hostname=host, vcpus=8, memory_mb=16384,
            local_gb=100, vcpus_used=0, memory_mb_used=512, local_gb_used=0,
            free_ram_mb=15872, free_disk_gb=100, current_workload=0,
            running_vms=0, disk_available_least=100,
            hypervisor_type='fake', hypervisor_version=1000, cpu_info='{}',
            supported_hv_specs=[objects.HVSpec(arch='x86_64', hv_type='fake',
                                               vm_mode='hvm')],
            cpu_allocation_ratio=4.0, ram_allocation_ratio=1.0,
            disk_allocation_ratio=1.0, stats={'failed_builds': '0'},
            host_ip='127.0.0.1', numa_topology=None, pci_device_pools=None)
        node.create()
        return node
    node = step('node_create', 'ComputeNode.create', create_node)
    step('node_by_uuid', 'ComputeNode.get_by_uuid',
         lambda: objects.ComputeNode.get_by_uuid(ctx, node_uuid))
    step('nodes_by_host', 'ComputeNodeList.get_all_by_host',
         lambda: objects.ComputeNodeList.get_all_by_host(ctx, host))
    step('nodes_by_uuids', 'ComputeNodeList.get_all_by_uuids',
         lambda: objects.ComputeNodeList.get_all_by_uuids(ctx, [node_uuid]))

    def update_node():
        node.vcpus_used = 1
        node.running_vms = 1
        node.stats = {'failed_builds': '0', 'num_instances': '1'}
        node.save()
        return node
    if node is not None:
        step('node_save', 'ComputeNode.save', update_node)
    step('node_saved', 'ComputeNode.get_by_host_and_nodename',
         lambda: objects.ComputeNode.get_by_host_and_nodename(ctx, host, host))

    # An instance's build steps (rpc/phase-boot-vm1.json).
    instance = step('instance_get', 'Instance.get_by_uuid',
                    lambda: objects.Instance.get_by_uuid(ctx, instance_uuid))
    step('instance_get_expected_attrs',
         "Instance.get_by_uuid(expected_attrs=['flavor', 'metadata', "
         "'system_metadata', 'pci_requests', 'tags'])",
         lambda: objects.Instance.get_by_uuid(
             ctx, instance_uuid,
             expected_attrs=['flavor', 'metadata', 'system_metadata',
                             'pci_requests', 'tags']))
    if instance is not None:
        # Nova's lazy-load of an optional field: Instance.get_by_uuid again, remotely.
        step('instance_lazy_flavor', 'Instance.flavor (lazy-load)',
             lambda: instance.flavor)

    def spawning():
        instance.task_state = 'spawning'
        instance.save(expected_task_state=[None])
        return instance

    def unexpected():
        instance.task_state = 'networking'
        instance.save(expected_task_state=['scheduling'])
        return instance

    def metadata():
        instance.metadata = dict(instance.metadata, role='interop-saved')
        instance.save()
        return instance
    if instance is not None:
        step('instance_save', 'Instance.save(expected_task_state=[None])', spawning)
        step('instance_save_unexpected',
             "Instance.save(expected_task_state=['scheduling'])", unexpected)
        # The failed save leaves task_state changed on the object: put it back.
        instance.task_state = 'spawning'
        instance.obj_reset_changes(['task_state'])
        step('instance_save_metadata', 'Instance.save (metadata)', metadata)
    step('instances_by_host', 'InstanceList.get_by_host',
         lambda: objects.InstanceList.get_by_host(ctx, host))

    # Action events under the action of the context's request.
    step('event_start', 'InstanceActionEvent.event_start',
         lambda: objects.InstanceActionEvent.event_start(
             ctx, instance_uuid, 'compute_interop', host=host))
    step('event_finish', 'InstanceActionEvent.event_finish_with_failure',
         lambda: objects.InstanceActionEvent.event_finish_with_failure(
             ctx, instance_uuid, 'compute_interop', exc_val=None, exc_tb=None,
             want_result=True))

    def failed_event():
        objects.InstanceActionEvent.event_start(
            ctx, instance_uuid, 'compute_interop_failure', want_result=False,
            host=host)
        try:
            raise exception.InstanceNotFound(instance_id='interop-failure')
        except exception.InstanceNotFound as exc:
            return objects.InstanceActionEvent.event_finish_with_failure(
                ctx, instance_uuid, 'compute_interop_failure', exc_val=exc,
                exc_tb=sys.exc_info()[2], want_result=True)
    step('event_failure', 'InstanceActionEvent.event_finish_with_failure(exc)',
         failed_event)
    other = nova_context.RequestContext(
        user_id='admin', project_id='admin', is_admin=True, roles=['admin'],
        request_id='req-00000000-0000-0000-0000-000000000000')
    step('event_no_action', 'InstanceActionEvent.event_start (unknown request)',
         lambda: objects.InstanceActionEvent.event_start(
             other, instance_uuid, 'compute_interop'))

    # The end of an instance.
    if instance is not None:
        step('instance_destroy', 'Instance.destroy',
             lambda: (instance.destroy(), instance)[1])
    step('instance_gone', 'Instance.get_by_uuid',
         lambda: objects.Instance.get_by_uuid(ctx, instance_uuid))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--transport-url', required=True)
    parser.add_argument('--host', required=True)
    parser.add_argument('--instance', required=True, help='uuid of an instance on HOST')
    parser.add_argument('--request-id', required=True,
                        help='request id of an action of the instance')
    parser.add_argument('--node-uuid', default='4f1bd9a6-0c7e-4b5e-9a51-7d1c39d0c0de')
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix='nova-objects-client-')
    try:
        set_up(args.transport_url, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ctx = nova_context.RequestContext(
        user_id='admin', project_id='admin', is_admin=True, roles=['admin'],
        request_id=args.request_id)
    scenario(ctx, args.host, args.instance, args.node_uuid)
    rpc.cleanup()
    return 0


if __name__ == '__main__':
    sys.exit(main())
