"""The web process killed right after a write committed: the side effect is delivered all the same.

A real gunicorn serves an API write (a new manifest, whose rule check is a side effect); the moment the
answer arrives, gunicorn (master and worker) gets SIGKILL, before it could do anything after the commit.
Proves that the rule check was written in the write's own transaction (an unsent outbox row is there), and
that the relay process and a worker started afterwards deliver it, once, with no one touching anything.
"""

import http.client
import json
import os
import signal
import subprocess
import sys

import pytest
from django.conf import settings

from registry.clients import create_api_client
from registry.models import ApiScope
from tests.faults.conftest import free_port, process_env, real_relay, real_worker, wait_for
from tests.transfers.test_api import manifest_body
from wasteparks.celery import app
from wasteparks.models import OutboxMessage

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CHECK = "reporting.tasks.warnings.check_manifest_rules"


def answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        return True
    except OSError:
        return False


def test_a_side_effect_committed_by_a_killed_web_process_is_delivered_once(
    tmp_path, parties, enterprise_x, carrier_c, receiver_r, x_store
):
    app.control.purge()
    OutboxMessage.objects.all().delete()
    _, token = create_api_client(name="X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    port = free_port(8600)
    command = [sys.executable, "-m", "gunicorn", "wasteparks.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--timeout", "30"]
    with (tmp_path / "gunicorn.log").open("w") as log:
        web = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=process_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: master and worker are killed together
        )
    try:
        wait_for(lambda: answers(port), 60, "gunicorn to answer")
        request = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        request.request(
            "POST",
            "/api/v1/manifests/",
            body=json.dumps(manifest_body(enterprise_x, carrier_c, receiver_r, x_store)),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = request.getresponse()
        created = json.loads(response.read())
        os.killpg(web.pid, signal.SIGKILL)  # the moment the write's answer is out
        web.wait(timeout=10)
    finally:
        if web.poll() is None:
            os.killpg(web.pid, signal.SIGKILL)
            web.wait(timeout=10)
    assert response.status == 201, created

    # Written with the manifest, in its transaction: the web process did not have to survive the commit.
    message = OutboxMessage.objects.get(task=CHECK, args=[created["id"]])
    assert message.sent_at is None

    worker_log = tmp_path / "worker.log"
    with real_worker(worker_log), real_relay(tmp_path / "relay.log"):
        done = f"{CHECK}[{message.task_id}] succeeded"
        wait_for(lambda: done in worker_log.read_text(), 60, done)
    message.refresh_from_db()
    assert message.sent_at is not None
    assert worker_log.read_text().count(done) == 1
