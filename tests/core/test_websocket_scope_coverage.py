"""Every websocket route of every tenant type names the test that proves its scope.

A websocket event is data like a REST response (issue 12: a guardian's board once
received other families' attendance). A new consumer cannot be routed without a test
showing, role by role, that a socket hears exactly what the same user reads over REST
and nothing of another tenant: add the route and its test here.
"""

from importlib import import_module
from pathlib import Path

from django.conf import settings

SCOPE_TESTS = {
    # every socket of a tenant hears only that tenant's broadcasts; no object data
    "ws/ping/": "tests/core/test_websocket.py::test_broadcast_reaches_only_the_same_tenant",
    "ws/academy/attendance/": "tests/academy/test_live_board_scope.py::"
    "test_every_role_on_every_board_route_receives_exactly_what_rest_shows",
    "ws/academy/attendance/<int:class_id>/": "tests/academy/test_live_board_scope.py::"
    "test_every_role_on_every_board_route_receives_exactly_what_rest_shows",
    "ws/academy/imports/<int:job_id>/": "tests/roster/test_progress_socket_scope.py::"
    "test_import_progress_reaches_exactly_those_who_see_the_job",
    "ws/academy/invoicing/<int:run_id>/": "tests/academy/test_invoice_run.py::"
    "test_the_month_is_issued_by_a_worker_with_progress_on_the_socket",
    # a job's status and streamed tokens reach its requester only: not a neighbour in the
    # same tenant, not a user with the same id in another tenant
    "ws/inference/": "tests/inference/test_fleet.py::test_streamed_tokens_reach_the_requesters_socket_and_no_other",
    # a live exam room: its class's teachers (progress, presence) and students (state) only;
    # not another class's student, not a parent, not another zone
    # a submission's grade and feedback reach its student only: not a classmate, not a
    # teacher's socket, not the same user id in another zone; and its student's approved
    # parents, not a parent whose link is pending or another family's
    # (tests/problems/test_parent_live.py::test_a_parents_socket_hears_approved_childrens_submissions_and_no_other)
    "ws/problems/": "tests/problems/test_live_feedback.py::"
    "test_llm_feedback_through_the_fleet_reaches_the_students_socket_and_no_other",
    # a take's progress and result reach its learner only: not another learner of the zone,
    # not the same user id in another zone
    "ws/kzone/": "tests/kzone/test_voice_chain.py::test_a_voice_take_runs_the_chain_and_only_its_learner_hears_it",
    "ws/learning/rooms/<int:room_id>/": "tests/learning/test_rooms.py::"
    "test_only_the_rooms_class_and_its_teachers_can_join_or_listen",
    # a table's events carry no hole cards; a player's hole cards reach their own sockets
    # only (never another player's or a spectator's); another club hears nothing
    "ws/club/table/<int:table_id>/": "tests/club/test_play.py::"
    "test_a_hand_to_showdown_pays_the_best_hand_books_the_rake_and_hides_folded_cards",
    "ws/club/lobby/": "tests/club/test_live.py::"
    "test_another_clubs_sockets_hear_nothing_and_its_sessions_do_not_open_sockets_here",
}


def routes() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for tenant_type in ["public", *settings.TENANT_TYPES]:
        module = import_module(f"config.routing.{tenant_type}")
        for pattern in module.websocket_urlpatterns:
            found.setdefault(str(pattern.pattern), set()).add(tenant_type)
    return found


def test_every_websocket_route_has_a_scope_test():
    assert set(routes()) == set(SCOPE_TESTS), "a websocket route without a scope test (or a stale entry)"
    root = Path(settings.BASE_DIR)
    for reference in SCOPE_TESTS.values():
        path, name = reference.split("::")
        assert f"def {name}(" in (root / path).read_text(), reference
