"""Words the pages show for what the gateway alone names (Vietnamese, English): channels, administrative
levels, online modes, outcomes, notification statuses and topics, payment and document states, the platform's own
actors; which action issues which form; and how the dossier page treats actions (which one leads, which ask for
confirmation). What a process definition names (its actions, roles and states) comes from workflow's vocabulary
(services/gateway/vocabulary.py), never from a table here. A code no table knows is never shown raw: `label()`
gives a dash."""

from __future__ import annotations

OUTCOMES = {"early": ("trước hạn", "early"), "on_time": ("đúng hạn", "on time"), "late": ("trễ hạn", "late")}
NOTIFICATION_STATUSES = {
    "created": ("chờ gửi", "waiting to be sent"),
    "sending": ("đang gửi", "sending"),
    "sent": ("đã gửi", "sent"),
    "delivered": ("đã nhận", "delivered"),
    "pending": ("đang gửi", "pending"),
    "temporary-failure": ("chưa gửi được, sẽ gửi lại", "not sent yet, will retry"),
    "technical-failure": ("không gửi được", "could not be sent"),
    "permanent-failure": ("không gửi được", "could not be sent"),
    "failed": ("không gửi được", "failed"),
    "dead": ("không gửi được", "failed"),
    "deferred": ("chờ gửi", "deferred"),
}
# What a notification was about, by its template (notify's `dossier_received@1`, `dossier_received.sms@1`).
NOTIFICATION_TOPICS = {
    "dossier_received": ("Tiếp nhận hồ sơ", "Dossier received"),
    "dossier_completion_requested": ("Yêu cầu bổ sung, hoàn thiện trước tiếp nhận", "Completion requested"),
    "dossier_supplement_requested": ("Yêu cầu bổ sung hồ sơ", "Supplement requested"),
    "dossier_refused": ("Từ chối tiếp nhận", "Receipt refused"),
    "dossier_coordination": ("Chờ điều phối", "Awaiting routing"),
    "dossier_delayed": ("Xin lỗi và hẹn lại", "Delay and new date"),
    "dossier_result_ready": ("Có kết quả", "Result ready"),
}
PAYMENT_STATUSES = {
    "pending": ("Chưa thanh toán", "Not paid yet"),
    "paid": ("Đã thanh toán", "Paid"),
    "expired": ("Hết hạn thanh toán", "Payment expired"),
    "refunded": ("Đã hoàn phí", "Refunded"),
}
REFUND_STATUSES = {
    "done": ("Đã hoàn tiền", "Refunded"),
    "requested": ("Đang xử lý", "In progress"),
    "unknown": ("Đang xác minh với cổng thanh toán", "Being checked with the payment gateway"),
    "failed": ("Không thành công", "Not done"),
}
DOCUMENT_SOURCES = {
    "uploaded": ("tệp tải lên", "uploaded file"),
    "reused": ("dùng lại từ kho dữ liệu", "reused from the registry"),
    "form": ("khai trực tuyến", "filled online"),
}
DOCUMENT_PROVENANCES = {
    "issued": ("Kết quả giải quyết thủ tục", "Result of a procedure"),
    "imported": ("Dữ liệu có sẵn của cơ quan nhà nước", "Held by the state"),
    "verified": ("Đã được cán bộ kiểm tra", "Checked by an officer"),
}
REGISTRY_DOCUMENT_STATUSES = {
    "valid": ("Còn hiệu lực", "Valid"),
    "expired": ("Hết hạn", "Expired"),
    "revoked": ("Đã thu hồi", "Revoked"),
}
# Who acted when it was not a person: the platform itself, the payment platform.
SYSTEM_ACTORS = {"system": ("Hệ thống", "System"), "payment": ("Hệ thống thanh toán", "Payment platform")}
CHANNEL_NAMES = {"email": ("Thư điện tử", "E-mail"), "sms": ("Tin nhắn SMS", "SMS"), "zalo": ("Zalo", "Zalo")}
LEVELS = {
    "province": ("Cấp tỉnh", "Province"),
    "district": ("Cấp huyện", "District"),
    "commune": ("Cấp xã", "Commune"),
}
# Kinds of agencies (workflow's routing vocabulary: the units files, the procedures' `agency_kind`), by what they
# are; a kind not listed is shown by its code on the administration's pages.
AGENCY_KINDS = {
    "people_committee": ("Ủy ban nhân dân", "People's Committee"),
    "ppc_office": ("Văn phòng Ủy ban nhân dân", "People's Committee Office"),
    "service_centre": ("Trung tâm Phục vụ hành chính công", "Public administration service centre"),
    "justice": ("Tư pháp", "Justice"),
    "construction": ("Xây dựng", "Construction"),
    "land_registry": ("Đăng ký đất đai", "Land registration"),
    "agriculture_environment": ("Nông nghiệp và Môi trường", "Agriculture and environment"),
    "culture_sports_tourism": ("Văn hóa, Thể thao và Du lịch", "Culture, sports and tourism"),
    "education_training": ("Giáo dục và Đào tạo", "Education and training"),
    "finance": ("Tài chính", "Finance"),
    "health": ("Y tế", "Health"),
    "home_affairs": ("Nội vụ", "Home affairs"),
    "industry_trade": ("Công Thương", "Industry and trade"),
    "inspectorate": ("Thanh tra", "Inspectorate"),
    "science_technology": ("Khoa học và Công nghệ", "Science and technology"),
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
FORM_TITLES = {
    "01": ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "Receipt and appointment"),
    "02": ("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", "Request to complete the dossier"),
    "03": ("Phiếu từ chối tiếp nhận giải quyết hồ sơ", "Refusal of receipt"),
    "04": ("Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết", "Apology and extension"),
    "05": ("Thông báo dừng giải quyết hồ sơ", "Notice of stopped processing"),
    "06": ("Phiếu kiểm soát quá trình giải quyết hồ sơ", "Process control sheet"),
    "07": ("Sổ theo dõi hồ sơ", "Logbook of dossiers"),
}

# The dossier page's order of actions: the first of these the officer's roles allow now is the next step, shown
# first and as the primary button; the others follow as secondary actions.
PRIMARY_ORDER = (
    "receive",
    "return_result",
    "result_ready",
    "approve",
    "process_step",
    "assign",
    "complete",
    "resubmit",
)
# What the next step means, said above its button.
NEXT_HINTS = {
    "receive": (
        "Kiểm tra thành phần hồ sơ. Khi tiếp nhận, thời hạn giải quyết bắt đầu tính và Giấy tiếp nhận (Mẫu 01) được"
        " lập.",
        "Check the documents. On receipt the legal clock starts and the receipt (Form 01) is issued.",
    ),
    "assign": ("Chọn cán bộ giải quyết hồ sơ.", "Choose the officer who handles the dossier."),
    "process_step": ("Ghi nhận phần việc đã làm với hồ sơ.", "Record the work done on the dossier."),
    "approve": ("Phê duyệt khi hồ sơ đủ điều kiện giải quyết.", "Approve when the dossier qualifies."),
    "result_ready": (
        "Báo kết quả đã có để bộ phận Một cửa trả cho người nộp.",
        "Report the result ready for the front desk to return.",
    ),
    "return_result": (
        "Trả kết quả cho người nộp; thời hạn giải quyết kết thúc.",
        "Return the result to the applicant; the legal clock ends.",
    ),
}
# Actions that end or refuse a dossier: a confirmation step with a reason, and what follows, before they are taken.
CONFIRM = {
    "refuse_receipt": (
        "Hồ sơ không được tiếp nhận và kết thúc tại đây. Người nộp nhận Phiếu từ chối tiếp nhận (Mẫu 03) kèm lý do"
        " qua thư điện tử. Không thể hoàn tác.",
        "The dossier is not received and ends here. The applicant gets the refusal notice (Form 03) with the"
        " reason by e-mail. This cannot be undone.",
    ),
    "reject": (
        "Hồ sơ được kết luận không giải quyết; lý do được ghi vào hồ sơ và báo cho người nộp khi trả kết quả.",
        "The dossier is decided against; the reason is recorded and told to the applicant with the result.",
    ),
    "stop": (
        "Dừng giải quyết hồ sơ: thời hạn giải quyết kết thúc, người nộp nhận Thông báo dừng giải quyết (Mẫu 05)."
        " Không thể hoàn tác.",
        "Processing stops: the legal clock ends and the applicant gets the stop notice (Form 05). This cannot be"
        " undone.",
    ),
    "withdraw": (
        "Hồ sơ được rút và không được giải quyết tiếp. Muốn giải quyết lại, bạn phải nộp hồ sơ mới. Không thể"
        " hoàn tác.",
        "The dossier is withdrawn and will not be processed. To try again you must file a new dossier. This"
        " cannot be undone.",
    ),
}


def label(table: dict, code, lang: str) -> str:
    """`code`'s name in `table` in the page's language; a dash for a code the table does not know (never the code
    itself)."""
    found = table.get(code)
    if not found:
        return "—"
    return found[1] if lang == "en" else found[0]


def level_labels() -> dict:
    """{level: Vietnamese name}: what printed forms name levels by (services/workflow/adapters/forms.py)."""
    return {code: vi for code, (vi, _) in LEVELS.items()}


def outcome_labels() -> dict:
    return {code: vi[:1].upper() + vi[1:] for code, (vi, _) in OUTCOMES.items()}
