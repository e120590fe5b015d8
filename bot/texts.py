"""Every user-facing sentence, in Chinese and English, in one place.

`t(key, language, **values)` picks the language ("en…" → English, anything else Chinese) and
fills the placeholders. Values are plain text; renderers escape them for their format.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "help": (
        "📦 快递查询机器人\n"
        "直接发送快递单号（可以一次发多个），我会识别快递公司并查询物流。\n"
        "命令：\n"
        "/track 单号 [手机尾号] — 查快递\n"
        "/subscribe 单号 [尾号] [备注] — 订阅，状态变化时通知你\n"
        "/unsubscribe 单号 — 取消订阅\n"
        "/list — 我的快递\n"
        "/rename 单号 备注 — 修改备注\n"
        "/carriers 关键字 — 查快递公司\n"
        "中文也可以：查快递 单号、订阅 单号、取消订阅 单号、我的快递、快递公司 关键字。\n"
        "顺丰需要收件人或寄件人手机后4位，我会问你，只问一次。",
        "📦 Parcel tracking bot\n"
        "Send me waybill numbers (several at once is fine); I identify the carrier and track "
        "them.\n"
        "Commands:\n"
        "/track <number> [phone tail] — track a parcel\n"
        "/subscribe <number> [tail] [label] — get a message when its status changes\n"
        "/unsubscribe <number> — stop following it\n"
        "/list — my parcels\n"
        "/rename <number> <label> — change a label\n"
        "/carriers <keyword> — search carriers\n"
        "SF Express needs the last 4 digits of the sender's or recipient's phone; "
        "I ask once.",
    ),
    "group_help_suffix": (
        "\n在群里请 @我 或用命令；管理员可用 /auto on 让我识别群里所有单号。",
        "\nIn groups, mention me or use a command; /auto on makes me read every message.",
    ),
    "no_number": (
        "没有在消息里找到快递单号。发送单号即可查询，或发送 /help 查看用法。",
        "I found no waybill number in that message. Send a number to track it, or /help.",
    ),
    "track_usage": ("用法：/track 单号 [手机尾号]", "Usage: /track <number> [phone tail]"),
    "too_many": (
        "消息里有 {count} 个单号，先查前 {limit} 个。",
        "That message has {count} numbers; tracking the first {limit}.",
    ),
    "ask_tail": (
        "{carrier}单号 {numbers} 需要收件人或寄件人手机号后4位才能查询，请直接回复4位数字"
        "（例如 1234）。",
        "{carrier} number {numbers} needs the last 4 digits of the sender's or recipient's "
        "phone. Reply with the 4 digits (e.g. 1234).",
    ),
    "tail_wrong": (
        "用尾号 {tail} 查不到 {number}，请确认是收件人或寄件人手机号后4位，再回复一次。",
        "The tail {tail} did not work for {number}. Check it is the last 4 digits of the "
        "sender's or recipient's phone and reply again.",
    ),
    "tail_not_understood": (
        "请回复手机号后4位数字（例如 1234），或发送新的单号。",
        "Please reply with the last 4 digits of the phone (e.g. 1234), or send a new number.",
    ),
    "no_record": (
        "{carrier}{number} 暂时还没有物流记录，可能刚下单还没揽收。可以订阅，有更新我会通知你。",
        "{carrier}{number} has no tracking records yet — it may not have been picked up. "
        "Subscribe and I'll tell you when it moves.",
    ),
    "invalid_number": (
        "单号 {number} 无效或不存在，请检查是否输错。",
        "{number} is not a valid waybill number. Please check it.",
    ),
    "err_quota": (
        "查询次数已用完，暂时无法查询，请稍后再试（已通知管理员）。",
        "The tracking service's quota is used up; please try again later "
        "(the operator has been told).",
    ),
    "err_throttled": (
        "查询太频繁了，请稍等一会儿再试。",
        "Too many queries right now; please try again in a moment.",
    ),
    "err_unavailable": (
        "物流查询服务暂时响应慢，{number} 没查到，请稍后再试。",
        "The tracking service is slow right now; {number} could not be checked. "
        "Please try again later.",
    ),
    "err_config": (
        "查询服务配置有误，暂时无法查询（已通知管理员）。",
        "The tracking service is misconfigured; the operator has been told.",
    ),
    "err_business": (
        "{number} 查询失败：{reason}",
        "Could not track {number}: {reason}",
    ),
    "err_internal": (
        "抱歉，处理出错了，请稍后再试。",
        "Sorry, something went wrong. Please try again later.",
    ),
    "unknown_command": (
        "不认识这个命令，发送 /help 查看用法。",
        "Unknown command; send /help for usage.",
    ),
    "carriers_usage": (
        "用法：/carriers 关键字 [页码]，例如 /carriers 顺丰",
        "Usage: /carriers <keyword> [page], e.g. /carriers SF",
    ),
    "carriers_none": (
        "没有找到与“{keyword}”相关的快递公司。",
        "No carrier matches “{keyword}”.",
    ),
    "carriers_page": (
        "第 {page}/{pagecount} 页，共 {count} 家。{more}",
        "Page {page}/{pagecount}, {count} carriers. {more}",
    ),
    "carriers_more": (
        "下一页：/carriers {keyword} {next}",
        "Next page: /carriers {keyword} {next}",
    ),
    "auto_on": (
        "已开启自动识别：群里出现的单号我都会查询。",
        "Auto mode on: I'll track every number posted in this group.",
    ),
    "auto_off": (
        "已关闭自动识别：在群里请 @我 或使用命令。",
        "Auto mode off: mention me or use a command in this group.",
    ),
    "auto_usage": ("用法：/auto on 或 /auto off", "Usage: /auto on | /auto off"),
    "group_only": ("这个命令只能在群里使用。", "This command works in groups only."),
    "admins_only": ("只有管理员可以使用这个命令。", "Only admins can use this command."),
    "subs_unavailable": (
        "订阅功能暂未开启。",
        "Subscriptions are not available on this bot.",
    ),
    "subscribe_usage": (
        "用法：/subscribe 单号 [手机尾号] [备注]",
        "Usage: /subscribe <number> [phone tail] [label]",
    ),
    "unsubscribe_usage": ("用法：/unsubscribe 单号", "Usage: /unsubscribe <number>"),
    "rename_usage": ("用法：/rename 单号 新备注", "Usage: /rename <number> <label>"),
    "btn_subscribe": ("🔔 订阅", "🔔 Subscribe"),
    "btn_unsubscribe": ("🔕 取消订阅", "🔕 Unsubscribe"),
    "btn_refresh": ("🔄 刷新", "🔄 Refresh"),
    "demo_note": (
        "演示数据：未配置 KUAIDI_APPCODE，这不是真实物流信息。",
        "Demo data: no KUAIDI_APPCODE configured; this is not real tracking.",
    ),
    "hotline": ("客服", "Hotline"),
}


def t(key: str, language: str = "zh", **values: object) -> str:
    """The sentence `key` in `language`, with `values` filled in."""
    zh, en = TEXTS[key]
    template = en if language.startswith("en") else zh
    return template.format(**values) if values else template


def is_english(language: str) -> bool:
    """True when replies should be in English."""
    return language.startswith("en")
