"""Words the pages show for codes: actions, roles, levels, online modes, channels (Vietnamese, English)."""
from __future__ import annotations

# Action: (vi, en). What each action needs (a reason, parameters) comes from workflow's process definition.
ACTION_LABELS = {
    "submit": ("Nộp hồ sơ", "Filed"),
    "receive": ("Tiếp nhận", "Receive"),
    "hold_for_coordination": ("Chờ điều phối", "Hold for routing"),
    "refuse_receipt": ("Từ chối tiếp nhận", "Refuse receipt"),
    "request_completion": ("Yêu cầu bổ sung, hoàn thiện (trước tiếp nhận)", "Ask for completion before receipt"),
    "complete": ("Bổ sung, hoàn thiện hồ sơ", "Send the completed dossier"),
    "assign": ("Phân công xử lý", "Assign"),
    "process_step": ("Ghi nhận xử lý", "Record processing"),
    "request_supplement": ("Yêu cầu bổ sung", "Request a supplement"),
    "resubmit": ("Nộp bổ sung", "Send the supplement"),
    "transfer": ("Chuyển cơ quan khác", "Transfer"),
    "approve": ("Phê duyệt", "Approve"),
    "reject": ("Không giải quyết", "Reject"),
    "extend_with_apology": ("Gia hạn (xin lỗi)", "Extend with apology"),
    "stop": ("Dừng xử lý", "Stop"),
    "result_ready": ("Có kết quả", "Result ready"),
    "return_result": ("Trả kết quả", "Return the result"),
    "withdraw": ("Rút hồ sơ", "Withdraw"),
    "fee_paid": ("Đã nộp phí, lệ phí", "Fee paid"),
}
OUTCOMES = {"early": ("trước hạn", "early"), "on_time": ("đúng hạn", "on time"), "late": ("trễ hạn", "late")}
NOTIFICATION_STATUSES = {"sent": ("đã gửi", "sent"), "delivered": ("đã nhận", "delivered"),
                         "pending": ("đang gửi", "pending"), "failed": ("không gửi được", "failed"),
                         "dead": ("không gửi được", "failed"), "deferred": ("chờ gửi", "deferred")}
CHANNEL_NAMES = {"email": ("Thư điện tử", "E-mail"), "sms": ("Tin nhắn SMS", "SMS"), "zalo": ("Zalo", "Zalo")}

ROLE_LABELS = {"receiver": ("Một cửa (tiếp nhận)", "Front desk"), "handler": ("Chuyên viên xử lý", "Handler"),
               "leader": ("Lãnh đạo", "Leader")}
LEVELS = {"province": ("Cấp tỉnh", "Province"), "district": ("Cấp huyện", "District"),
          "commune": ("Cấp xã", "Commune")}
MODES = {"full": ("Trực tuyến toàn trình", "Fully online"), "partial": ("Trực tuyến một phần", "Partly online"),
         "none": ("Nộp trực tiếp", "In person")}
CHANNELS = {"online": ("Trực tuyến", "Online"), "counter": ("Tại quầy", "At the counter")}
DOSSIER_STATUSES = ("submitted", "awaiting_completion", "received", "in_progress", "awaiting_supplement",
                    "approved", "rejected", "result_ready", "coordination")
STATUS_LABELS = {
    "submitted": ("Chờ tiếp nhận", "Awaiting receipt"), "coordination": ("Chờ điều phối", "Awaiting routing"),
    "awaiting_completion": ("Chờ bổ sung, hoàn thiện (chưa tiếp nhận)", "Completion asked before receipt"),
    "received": ("Đã tiếp nhận", "Received"), "in_progress": ("Đang xử lý", "In progress"),
    "awaiting_supplement": ("Chờ bổ sung", "Awaiting supplement"), "approved": ("Đã phê duyệt", "Approved"),
    "rejected": ("Không giải quyết", "Rejected"), "result_ready": ("Có kết quả", "Result ready"),
    "returned": ("Đã trả kết quả", "Result returned"), "refused": ("Từ chối tiếp nhận", "Receipt refused"),
    "stopped": ("Dừng xử lý", "Stopped"), "withdrawn": ("Đã rút hồ sơ", "Withdrawn"),
}

# Forms (Circular 03/2025/TT-VPCP, Annex I) and the actions that issue them: a form is offered once its action is in
# the dossier's history (06, the control sheet, always).
FORM_ACTIONS = {"01": ("receive",), "02": ("request_completion", "request_supplement"), "03": ("refuse_receipt",),
                "04": ("extend_with_apology",), "05": ("stop",), "06": ()}
FORM_OF = {a: n for n, names in FORM_ACTIONS.items() for a in names}
