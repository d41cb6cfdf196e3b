"""The wizard's filing (CitizenPages.submit_draft) against the real intake service (worker_factory, SQLite): the
same draft posted again, after a first attempt whose answer was lost, shows the same dossier and files no second
one."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from services.gateway.identity import Principal
from services.gateway.routes.citizen_pages import CitizenPages, web_submission_key
from tests.unit.intake.test_service import PERSON, _Reply, intake_worker


class _Bridge:
    """An RPC proxy method as `services.chassis.rpc.call` uses it, answered by the real intake worker."""

    def __init__(self, method, lost_answers: list):
        self.method, self.lost_answers = method, lost_answers

    def call_async(self, *args):
        try:
            value = self.method(*args)
        except Exception as exc:  # noqa: BLE001 - handed back to the caller as the RPC reply would be
            return _Reply(exc)
        if self.lost_answers and self.lost_answers[0] == self.method.__name__:
            self.lost_answers.pop(0)
            # The work is done and committed, the answer never arrives (a timeout, a dropped connection).
            raise ConnectionResetError("connection closed without an answer")
        return _Reply(value)


@pytest.fixture
def pages():
    intake = intake_worker()
    lost: list = []
    proxy = SimpleNamespace(
        **{
            name: _Bridge(getattr(intake, name), lost)
            for name in ("get_draft", "submit_dossier", "filed_with_key", "save_draft")
        }
    )
    owner = SimpleNamespace(
        intake=proxy, web=SimpleNamespace(submit_limit=SimpleNamespace(check=lambda key: 0))
    )
    principal = Principal(
        subject=PERSON["id_number"],
        kind="citizen",
        name=PERSON["full_name"],
        unit=None,
        roles=frozenset(),
        issuer="test",
    )

    def render(template, http_status=200, **context):
        return SimpleNamespace(template=template, status_code=http_status, context=context, headers={})

    wr = SimpleNamespace(
        principal=principal, lang="vi", t=lambda vi, en: vi, redirect=lambda url: url, render=render
    )
    return SimpleNamespace(intake=intake, owner=owner, wr=wr, lost=lost)


def _draft(pages) -> str:
    who = {"subject": PERSON["id_number"], "kind": "citizen"}
    return pages.intake.save_draft(
        None, {"procedure_code": "1.000656", "form": {"noi_dung": "Cấp phiếu số 1"}, "documents": []}, who
    )["id"]


def _post(pages, draft_id):
    return CitizenPages.submit_draft.__wrapped__(pages.owner, pages.wr, draft_id)


def test_the_same_draft_posted_again_after_a_lost_answer_shows_the_same_dossier(pages):
    draft_id = _draft(pages)
    pages.lost.append("submit_dossier")  # the first press files the dossier, its answer is lost
    page = _post(pages, draft_id)
    # The citizen sees a 503 page that says the dossier may be filed, with a button posting the same draft again.
    assert (page.template, page.status_code) == ("error.html", 503)
    assert page.context["retry_action"] == f"/ho-so-nhap/{draft_id}/nop"
    assert "có thể đã được nộp" in page.context["message"]
    filed = pages.intake.db.rows("dossiers")
    assert len(filed) == 1  # filed all the same
    again = _post(pages, draft_id)  # the citizen presses "Nộp hồ sơ" again
    assert again == f"/ho-so/{filed[0]['code']}?moi=1"
    assert _post(pages, draft_id) == again  # and again: still that dossier
    assert len(pages.intake.db.rows("dossiers")) == 1


def test_a_retry_whose_draft_is_still_there_is_answered_from_the_key(pages):
    """The filing's answer was lost before the draft was read again (e.g. two presses at once): the same key
    replays the first answer."""
    draft_id = _draft(pages)
    first = _post(pages, draft_id)
    code = pages.intake.db.rows("dossiers")[0]["code"]
    assert first == f"/ho-so/{code}?moi=1"
    who = {"subject": PERSON["id_number"], "kind": "citizen"}
    assert pages.intake.filed_with_key(web_submission_key(draft_id), who)["code"] == code
    assert len(pages.intake.db.rows("dossiers")) == 1


def test_only_the_filer_finds_a_filing_by_its_key(pages):
    from services.chassis.errors import NotFound

    draft_id = _draft(pages)
    _post(pages, draft_id)
    with pytest.raises(NotFound):
        pages.intake.filed_with_key(
            web_submission_key(draft_id), {"subject": "037185000002", "kind": "citizen"}
        )
    with pytest.raises(NotFound):
        pages.intake.filed_with_key("web-draft:never", {"subject": PERSON["id_number"], "kind": "citizen"})
