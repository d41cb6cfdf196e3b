"""Words the pages show for what the gateway alone names (Vietnamese, English): channels, administrative
levels, online modes, outcomes, notification statuses; and which action issues which form. What a process
definition names (its actions, roles and states) comes from workflow's vocabulary
(services/gateway/vocabulary.py), never from a table here."""

from __future__ import annotations

OUTCOMES = {"early": ("trước hạn", "early"), "on_time": ("đúng hạn", "on time"), "late": ("trễ hạn", "late")}
NOTIFICATION_STATUSES = {
    "sent": ("đã gửi", "sent"),
    "delivered": ("đã nhận", "delivered"),
    "pending": ("đang gửi", "pending"),
    "failed": ("không gửi được", "failed"),
    "dead": ("không gửi được", "failed"),
    "deferred": ("chờ gửi", "deferred"),
}
CHANNEL_NAMES = {"email": ("Thư điện tử", "E-mail"), "sms": ("Tin nhắn SMS", "SMS"), "zalo": ("Zalo", "Zalo")}
LEVELS = {
    "province": ("Cấp tỉnh", "Province"),
    "district": ("Cấp huyện", "District"),
    "commune": ("Cấp xã", "Commune"),
}
MODES = {
    "full": ("Trực tuyến toàn trình", "Fully online"),
    "partial": ("Trực tuyến một phần", "Partly online"),
    "none": ("Nộp trực tiếp", "In person"),
}
CHANNELS = {"online": ("Trực tuyến", "Online"), "counter": ("Tại quầy", "At the counter")}

# Forms (Circular 03/2025/TT-VPCP, Annex I) and the actions that issue them: a form is offered once its action is in
# the dossier's history (06, the control sheet, always).
FORM_ACTIONS = {
    "01": ("receive",),
    "02": ("request_completion", "request_supplement"),
    "03": ("refuse_receipt",),
    "04": ("extend_with_apology",),
    "05": ("stop",),
    "06": (),
}
FORM_OF = {a: n for n, names in FORM_ACTIONS.items() for a in names}
