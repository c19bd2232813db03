"""Acceptance test of Baton's Conductor API with the official conductor-python SDK.

Usage: python acceptance.py http://127.0.0.1:PORT

Uses only the SDK's own classes: the metadata client registers a task definition and a
workflow (SIMPLE, SWITCH, FORK_JOIN + JOIN) built with the SDK's workflow DSL, the
workflow client starts and reads workflows, and workers written with `@worker_task` run
under the SDK's `TaskHandler` (the SDK's real poll/update loop). Exits 0 when every check
passes, 1 with a clear message otherwise.
"""

import sys
import time

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models.start_workflow_request import StartWorkflowRequest
from conductor.client.http.models.task_def import TaskDef
from conductor.client.orkes_clients import OrkesClients
from conductor.client.worker.worker_task import worker_task
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.task.fork_task import ForkTask
from conductor.client.workflow.task.simple_task import SimpleTask
from conductor.client.workflow.task.switch_task import SwitchTask

WORKFLOW = "baton_sdk_acceptance"
DEADLINE_SECONDS = 90


# Workers: module-level so the SDK's worker processes (spawned) find them.
@worker_task(task_definition_name="baton_greet")
def greet(name: str) -> dict:
    return {"greeting": f"hello {name}"}


@worker_task(task_definition_name="baton_big")
def big(amount: int) -> dict:
    return {"tier": "big", "double": amount * 2}


@worker_task(task_definition_name="baton_small")
def small(amount: int) -> dict:
    return {"tier": "small", "double": amount * 2}


@worker_task(task_definition_name="baton_left")
def left(amount: int) -> dict:
    return {"side": "left", "plus": amount + 1}


@worker_task(task_definition_name="baton_right")
def right(amount: int) -> dict:
    return {"side": "right", "minus": amount - 1}


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def simple(task_name, ref, **inputs):
    t = SimpleTask(task_def_name=task_name, task_reference_name=ref)
    t.input_parameters.update(inputs)
    return t


def build_workflow(executor):
    wf = ConductorWorkflow(executor=executor, name=WORKFLOW, version=1, description="Baton SDK acceptance")
    wf.owner_email("sdk@example.com")
    wf.timeout_seconds(120)
    greet_t = simple("baton_greet", "greet_ref", name="${workflow.input.name}")
    route = SwitchTask("route", "${workflow.input.size}")
    route.switch_case("big", [simple("baton_big", "big_ref", amount="${workflow.input.amount}")])
    route.default_case([simple("baton_small", "small_ref", amount="${workflow.input.amount}")])
    fork = ForkTask(
        "fan",
        [
            [simple("baton_left", "left_ref", amount="${workflow.input.amount}")],
            [simple("baton_right", "right_ref", amount="${workflow.input.amount}")],
        ],
        join_on=["left_ref", "right_ref"],
    )
    wf >> greet_t >> route >> fork
    wf.output_parameters(
        {
            "greeting": "${greet_ref.output.greeting}",
            "bigTier": "${big_ref.output.tier}",
            "smallTier": "${small_ref.output.tier}",
            "left": "${left_ref.output.plus}",
            "right": "${right_ref.output.minus}",
        }
    )
    return wf


def wait_for_end(workflow_client, workflow_id, deadline):
    while time.time() < deadline:
        wf = workflow_client.get_workflow(workflow_id, include_tasks=True)
        if wf.status not in ("RUNNING", "PAUSED"):
            return wf
        time.sleep(0.2)
    wf = workflow_client.get_workflow(workflow_id, include_tasks=True)
    tasks = [(t.reference_task_name, t.status) for t in (wf.tasks or [])]
    raise Failure(f"workflow {workflow_id} did not end in time: status {wf.status}, tasks {tasks}")


def tasks_by_ref(wf):
    out = {}
    for t in wf.tasks or []:
        out[t.reference_task_name] = t
    return out


def verify(wf, size, amount):
    label = f"workflow {wf.workflow_id} (size={size})"
    check(wf.status == "COMPLETED", f"{label}: status {wf.status}, reason {wf.reason_for_incompletion}")
    out = wf.output or {}
    check(out.get("greeting") == "hello baton", f"{label}: greeting {out.get('greeting')!r}")
    check(out.get("left") == amount + 1, f"{label}: left output {out.get('left')!r}")
    check(out.get("right") == amount - 1, f"{label}: right output {out.get('right')!r}")
    tasks = tasks_by_ref(wf)
    for ref in ("greet_ref", "route", "fan", "fan_join", "left_ref", "right_ref"):
        check(ref in tasks, f"{label}: no task {ref} among {sorted(tasks)}")
    for ref in ("greet_ref", "left_ref", "right_ref", "fan_join"):
        check(tasks[ref].status == "COMPLETED", f"{label}: task {ref} is {tasks[ref].status}")
    taken, not_taken = ("big_ref", "small_ref") if size == "big" else ("small_ref", "big_ref")
    check(taken in tasks and tasks[taken].status == "COMPLETED", f"{label}: branch task {taken} did not complete")
    check(
        not_taken not in tasks or tasks[not_taken].status == "SKIPPED",
        f"{label}: the branch not taken ran: {not_taken} is {tasks[not_taken].status if not_taken in tasks else None}",
    )
    tier = "big" if size == "big" else "small"
    key = "bigTier" if size == "big" else "smallTier"
    check(out.get(key) == tier, f"{label}: output {key} {out.get(key)!r}, expected {tier!r}")
    join_out = tasks["fan_join"].output_data or {}
    check(
        (join_out.get("left_ref") or {}).get("side") == "left",
        f"{label}: JOIN output lacks left_ref: {join_out}",
    )
    check(tasks["greet_ref"].worker_id, f"{label}: greet_ref has no workerId")


def main():
    if len(sys.argv) not in (2, 4):
        print("usage: acceptance.py SERVER_URL [KEY_ID KEY_SECRET]", file=sys.stderr)
        return 2
    base = sys.argv[1].rstrip("/")
    if len(sys.argv) == 4:
        # The SDK exchanges the key for a token (POST /api/token) and sends it as
        # X-Authorization, in this process and in every worker process.
        from conductor.client.configuration.settings.authentication_settings import AuthenticationSettings
        auth = AuthenticationSettings(key_id=sys.argv[2], key_secret=sys.argv[3])
        config = Configuration(server_api_url=base + "/api", authentication_settings=auth)
    else:
        config = Configuration(server_api_url=base + "/api")
    clients = OrkesClients(configuration=config)
    metadata = clients.get_metadata_client()
    workflows = clients.get_workflow_client()
    deadline = time.time() + DEADLINE_SECONDS

    # Task definitions through the metadata client.
    for name in ("baton_greet", "baton_big", "baton_small", "baton_left", "baton_right"):
        metadata.register_task_def(TaskDef(name=name, retry_count=1, retry_delay_seconds=1, timeout_seconds=60,
                                           response_timeout_seconds=30, owner_email="sdk@example.com"))
    got = metadata.get_task_def("baton_greet")
    check(got.name == "baton_greet" and got.retry_count == 1, f"task def read back wrong: {got}")

    # The workflow, built with the SDK's DSL, through the metadata client.
    wf_def = build_workflow(clients.get_workflow_executor()).to_workflow_def()
    metadata.register_workflow_def(wf_def, overwrite=True)
    read_back = metadata.get_workflow_def(WORKFLOW, version=1)
    types = [t.type for t in read_back.tasks]
    check(types == ["SIMPLE", "SWITCH", "FORK_JOIN", "JOIN"], f"workflow read back with task types {types}")

    handler = TaskHandler(workers=[], configuration=config, scan_for_annotated_workers=True)
    handler.start_processes()
    try:
        ids = {}
        for size, amount in (("big", 10), ("small", 3)):
            req = StartWorkflowRequest(name=WORKFLOW, version=1, correlation_id=f"sdk-{size}",
                                       input={"name": "baton", "size": size, "amount": amount})
            ids[size] = (workflows.start_workflow(req), amount)
            check(ids[size][0], f"start_workflow returned no id for size={size}")
        for size, (workflow_id, amount) in ids.items():
            wf = wait_for_end(workflows, workflow_id, deadline)
            verify(wf, size, amount)
            print(f"ok: {workflow_id} size={size} output={wf.output}")
        found = workflows.search(query=f"workflowType = {WORKFLOW} AND status = COMPLETED")
        hits = {s.workflow_id for s in (found.results or [])}
        check({i for i, _ in ids.values()} <= hits, f"search did not find both workflows: {hits}")
    finally:
        handler.stop_processes()
    print("acceptance: all checks passed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        print(f"acceptance FAILED: {e}", file=sys.stderr)
        sys.exit(1)
