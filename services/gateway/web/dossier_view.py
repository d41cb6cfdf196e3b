"""What one dossier's page shows, put together for its template from the RPC answers: the officer's next step and
the other actions their roles allow (those that end a dossier behind a confirmation step), every document with a
link that opens it, the timeline with people by name, the forms that apply, the notifications in words, and what
the citizen has to do next. Words come from the process vocabulary and labels.py; nothing shows a raw code."""

from __future__ import annotations

from services.gateway.web.labels import (
    CHANNEL_NAMES,
    CONFIRM,
    DOCUMENT_SOURCES,
    FORM_ACTIONS,
    FORM_TITLES,
    NOTIFICATION_STATUSES,
    NOTIFICATION_TOPICS,
    PRIMARY_ORDER,
    SYSTEM_ACTORS,
    label,
)

ENDED = ("refused", "withdrawn", "stopped")


def plan(case: dict | None) -> dict:
    """The actions the viewer may take now, ordered for the page: `primary` (the next step), `others`, and `risky`
    (refusing, rejecting, stopping, withdrawing: each behind a confirmation step), with what each needs."""
    allowed = list((case or {}).get("allowed_actions") or [])
    needs = (case or {}).get("action_requirements") or {}
    safe = [a for a in allowed if a not in CONFIRM]
    primary = next((a for a in PRIMARY_ORDER if a in safe), safe[0] if safe else None)
    needs = {a: needs.get(a) or {"reason": False, "params": []} for a in allowed}
    others = [a for a in safe if a != primary]
    return {
        "primary": primary,
        "others": others,
        # Those needing a reason or a parameter open their form on demand; the others are one button each.
        "detailed": [a for a in others if needs[a]["reason"] or needs[a]["params"]],
        "quick": [a for a in others if not (needs[a]["reason"] or needs[a]["params"])],
        "risky": [a for a in allowed if a in CONFIRM],
        "needs": needs,
    }


def waiting_for(wr, case: dict | None, words, process: str | None) -> list[dict]:
    """Who the next step belongs to when the viewer can take none: each action possible now, with its roles."""
    if not case:
        return []
    return [
        {
            "action": wr.name(words.action(name, process)),
            "roles": ", ".join(wr.name(words.role(r)) for r in roles),
        }
        for name, roles in words.actions_from(case["status"], process)
    ]


def documents(wr, dossier: dict, procedure: dict | None) -> list[dict]:
    """Every document of the dossier, each version with a link that opens it in the browser."""
    names = {d["code"]: d.get("name") for d in (procedure or {}).get("documents", [])}
    groups: dict[str, list[dict]] = {}
    for doc in dossier.get("documents", []):
        groups.setdefault(doc["code"], []).append(doc)
    return [
        {
            "code": code,
            "name": wr.name(names.get(code)) or wr.t("Giấy tờ khác", "Other document"),
            "versions": [_version(wr, dossier["code"], d) for d in sorted(docs, key=lambda d: -d["version"])],
        }
        for code, docs in groups.items()
    ]


def _version(wr, code: str, doc: dict) -> dict:
    source = doc.get("source")
    if source == "uploaded":
        href = f"/ho-so/{code}/tai-lieu/{doc['upload_id']}"
        text = (
            f"{doc.get('file_name') or wr.t('Tệp', 'File')} ({(doc.get('size_bytes') or 0) // 1024 or 1} KB)"
        )
    elif source == "reused":
        href = f"/ho-so/{code}/giay-to/{doc['registry_document_id']}"
        text = wr.t("Giấy tờ trong kho dữ liệu của công dân", "Document in the citizen's registry")
    else:
        href, text = "#to-khai", wr.t("Tờ khai trực tuyến", "Online form")
    return {
        "version": doc["version"],
        "current": doc.get("current", True),
        "source": label(DOCUMENT_SOURCES, source, wr.lang),
        "href": href,
        "text": text,
        "supplement": doc.get("origin") == "supplement",
        "added_at": doc.get("added_at"),
    }


def timeline(wr, dossier: dict, case: dict | None, words, process, people, agencies: dict) -> list[dict]:
    """The filing, then every logged action: when, what, why, and who (by name and title, or their role)."""
    filed = {"action": "submit", "at": dossier["submitted_at"], "reason": "", "actor": "", "params": {}}
    entries = [filed] + list((case or {}).get("history") or [])
    return [
        {
            "at": h["at"],
            "what": wr.name(words.action(h["action"], process)),
            "reason": h.get("reason") or "",
            "detail": _detail(wr, h, people, agencies),
            "who": _who(wr, h, dossier, words, process, people, agencies),
            "attachments": h.get("attachments") or [],
        }
        for h in entries
    ]


def _who(wr, entry: dict, dossier: dict, words, process, people, agencies: dict) -> dict:
    actor = entry.get("actor") or ""
    if actor in SYSTEM_ACTORS:
        return {"name": label(SYSTEM_ACTORS, actor, wr.lang), "title": "", "unit": ""}
    if entry["action"] == "submit" or "citizen" in words.action_roles(entry["action"], process):
        name = (dossier.get("applicant") or {}).get("full_name") or ""
        return {"name": name, "title": wr.name(words.role("citizen")), "unit": ""}
    officer = people.officer(actor, (entry.get("params") or {}).get("signed_by"))
    agency = agencies.get(entry.get("unit") or "")
    return {"name": officer["full_name"], "title": officer["title"], "unit": agency["name"] if agency else ""}


def _detail(wr, entry: dict, people, agencies: dict) -> str:
    """What an action's parameters say, in words: to whom it was assigned, where it went, how many days more."""
    params = entry.get("params") or {}
    if params.get("assignee"):
        return wr.t("Giao cho", "Assigned to") + " " + people.officer(str(params["assignee"]))["full_name"]
    if params.get("to_agency"):
        agency = agencies.get(str(params["to_agency"]))
        return wr.t("Chuyển tới", "Sent to") + " " + (agency["name"] if agency else "—")
    if params.get("extra_days"):
        return wr.t(
            f"Gia hạn thêm {params['extra_days']} ngày làm việc", f"{params['extra_days']} more working days"
        )
    return ""


def forms_offered(wr, case: dict | None, officer: bool) -> list[dict]:
    """The forms that apply to this dossier: 01-05 once their action is in its history; 06 (the control sheet)
    for officers once a case exists."""
    done = {h["action"] for h in (case or {}).get("history") or []}
    numbers = [n for n, actions in sorted(FORM_ACTIONS.items()) if actions and done & set(actions)]
    if officer and case:
        numbers.append("06")
    return [{"number": n, "title": label(FORM_TITLES, n, wr.lang)} for n in numbers]


def notifications(wr, notes: list[dict]) -> list[dict]:
    """Notifications about the dossier: channel, topic and delivery state in words."""
    return [
        {
            "channel": label(CHANNEL_NAMES, n.get("channel"), wr.lang),
            "status": label(NOTIFICATION_STATUSES, n.get("status"), wr.lang),
            "topic": _topic(wr, n.get("template") or ""),
            "at": n.get("sent_at") or n.get("created_at"),
        }
        for n in notes or []
    ]


def _topic(wr, template: str) -> str:
    """`dossier_received@1` or `dossier_received.sms@1` → the topic's words; unknown → nothing."""
    base = template.split("@")[0].split(".")[0]
    return label(NOTIFICATION_TOPICS, base, wr.lang) if base in NOTIFICATION_TOPICS else ""


def citizen_todo(wr, code: str, status: str | None, payment: dict | None, rated: bool) -> list[dict]:
    """What the applicant has to do now, each named and linked to where it is done."""
    page = f"/ho-so/{code}"
    todo = []
    if status == "awaiting_completion":
        todo.append((wr.t("Bổ sung, hoàn thiện hồ sơ", "Complete the dossier"), f"{page}#answer-complete"))
    if status == "awaiting_supplement":
        todo.append((wr.t("Nộp bổ sung hồ sơ", "Send the supplement"), f"{page}#answer-resubmit"))
    if payment and payment.get("status") == "pending" and payment.get("amount_vnd") and status not in ENDED:
        todo.append((wr.t("Thanh toán phí, lệ phí", "Pay the fee"), f"{page}#fee"))
    if status == "returned" and not rated:
        todo.append((wr.t("Đánh giá mức độ hài lòng", "Rate the service"), f"{page}#rate"))
    return [{"text": text, "href": href} for text, href in todo]
