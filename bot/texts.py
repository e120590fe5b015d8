"""Every user-facing sentence, in Chinese and English, in one place.

`t(key, language, **values)` picks the language ("en…" → English, anything else Chinese) and
fills the placeholders. Values are plain text; renderers escape them for their format.
"""

from __future__ import annotations

from bot.texts_chat import CHAT_TEXTS
from bot.texts_photos import PHOTO_TEXTS

TEXTS: dict[str, tuple[str, str]] = {
    "group_help_suffix": (
        "\n在群里请 @我 或用命令；管理员可用 /auto on 让我识别群里所有单号。",
        "\nIn groups, mention me or use a command; /auto on makes me read every message.",
    ),
    "no_number": (
        "没有在消息里找到快递单号。发送单号即可查询，或发送 /help 查看用法。",
        "I found no waybill number in that message. Send a number to track it, or /help.",
    ),
    "track_usage": ("用法：/track 单号 [手机尾号]", "Usage: /track <number> [phone tail]"),
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
    "tail_reminder": (
        "还在等 {numbers} 的收件人或寄件人手机号后4位：直接回复4位数字（或完整手机号），"
        "或发送“取消”。",
        "Still waiting for the last 4 digits of the sender's or recipient's phone for "
        "{numbers}: reply with the 4 digits (or the full number), or send “cancel”.",
    ),
    "tail_cancelled": (
        "好的，不再等 {numbers} 的手机尾号了。",
        "OK, no longer waiting for a phone tail for {numbers}.",
    ),
    "nothing_to_cancel": ("现在没有需要取消的问题。", "There is no open question to cancel."),
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
    "err_bad_answer": (
        "物流查询服务返回了无法识别的结果，{number} 暂时没查到，请稍后再试。",
        "The tracking service sent an answer that could not be read; {number} could not be "
        "checked. Please try again later.",
    ),
    "err_refused": (
        "物流查询服务没有给出 {number} 的结果（也没有说明原因），请核对单号后稍后再试。",
        "The tracking service returned nothing for {number} and gave no reason. Please check "
        "the number and try again later.",
    ),
    "err_carrier_needed": (
        "没能认出 {number} 是哪家快递。请把快递公司写在单号前再发一次，例如：中通 {number}",
        "Could not tell which carrier {number} belongs to. Send it again with the carrier "
        "first, e.g.: ZTO {number}",
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
    "btn_history": ("📜 全部记录", "📜 Full history"),
    "btn_history_next": ("下一页 ▶", "Next page ▶"),
    "older_events": (
        "另有 {count} 条更早的记录未显示，发送 /history {number} 查看全部。",
        "{count} older events are not shown; send /history {number} to see them all.",
    ),
    "history_title": (
        "📜 {number} 全部物流记录（第 {page}/{pages} 页）",
        "📜 {number}: full history (page {page}/{pages})",
    ),
    "history_empty": ("暂无物流记录。", "No tracking events yet."),
    "history_usage": (
        "用法：/history 单号 [页码]，例如 /history YT1234567890123 2",
        "Usage: /history <number> [page], e.g. /history YT1234567890123 2",
    ),
    "demo_note": (
        "演示数据：未配置 KUAIDI_APPCODE，这不是真实物流信息。",
        "Demo data: no KUAIDI_APPCODE configured; this is not real tracking.",
    ),
    "hotline": ("客服", "Hotline"),
}


TEXTS.update(CHAT_TEXTS)
TEXTS.update(PHOTO_TEXTS)


def t(key: str, language: str = "zh", **values: object) -> str:
    """The sentence `key` in `language`, with `values` filled in."""
    zh, en = TEXTS[key]
    template = en if language.startswith("en") else zh
    return template.format(**values) if values else template


def join(items, language: str) -> str:
    """`items` as one list: "a、b" in Chinese, "a, b" in English."""
    return (", " if is_english(language) else "、").join(items)


def is_english(language: str) -> bool:
    """True when replies should be in English."""
    return language.startswith("en")


# --- subscriptions
TEXTS.update(
    {
        "sub_created": (
            "🔔 已订阅 {name}，有新动态我会通知你。",
            "🔔 Following {name}; I'll tell you when it moves.",
        ),
        "sub_updated": ("🔔 已更新订阅 {name}。", "🔔 Updated the subscription to {name}."),
        "sub_group_note": (
            "（通知发到本群并 @你）",
            " (Updates go to this group and mention you.)",
        ),
        "sub_milestones_note": (
            "\n只推送重要节点：揽收、派送、签收和异常。发送 /subscribe 单号 全部 可恢复全部动态。",
            "\nMilestones only: picked up, out for delivery, delivered, problems. "
            "/subscribe <number> all brings back every update.",
        ),
        "sub_pending_note": (
            "\n查询服务暂时不可用，稍后我会自动查询并通知你。",
            "\nThe tracking service is unavailable right now; I'll check again later.",
        ),
        "sub_already_final": (
            "{number} 已经是最终状态，无需订阅。",
            "{number} has reached its final status; there is nothing left to follow.",
        ),
        "sub_cap": (
            "最多同时订阅 {cap} 个快递。请先用 /unsubscribe 单号 取消不需要的订阅。",
            "You can follow at most {cap} parcels. Use /unsubscribe <number> to drop one first.",
        ),
        "sub_cap_group": (
            "本群（或你）最多同时订阅 {cap} 个快递。请先用 /unsubscribe 单号 取消不需要的订阅。",
            "This group (or you) can follow at most {cap} parcels. "
            "Use /unsubscribe <number> to drop one first.",
        ),
        "sub_removed": ("🔕 已取消订阅 {number}。", "🔕 Stopped following {number}."),
        "sub_not_found": ("没有订阅 {number}。", "{number} is not followed here."),
        "sub_renamed": ("已把 {number} 的备注改为“{label}”。", "Labelled {number} “{label}”."),
        "sub_list_empty": (
            "还没有订阅快递。发送 /subscribe 单号 开始订阅。",
            "No parcels followed yet. Send /subscribe <number> to follow one.",
        ),
        "sub_list_head": (
            "📋 我的快递（{count} 个订阅中）：",
            "📋 My parcels ({count} followed):",
        ),
        "sub_list_group": (
            "📋 本群的快递（{count} 个订阅中）：",
            "📋 This group's parcels ({count} followed):",
        ),
        "sub_state_done": ("（已结束）", " (finished)"),
        "sub_state_stopped": ("（已停止跟踪）", " (no longer checked)"),
        "sub_state_blocked": ("（已暂停）", " (paused)"),
        "sub_push": (
            "🔔 {name}：{emoji} {status}，{count} 条新动态",
            "🔔 {name}: {emoji} {status}, {count} new update(s)",
        ),
        "sub_push_many": ("🔔 {count} 个快递有新动态：", "🔔 {count} parcels have news:"),
        "sub_stopped_no_record": (
            "{label} 订阅 3 天了仍没有任何物流记录，已停止自动查询。请确认单号，或稍后重新订阅。",
            "{label} still has no tracking record after 3 days, so I stopped checking. "
            "Please check the number, or subscribe again later.",
        ),
        "sub_stopped_stale": (
            "{label} 很久没有新的物流动态了，已停止自动查询。需要时可以重新订阅。",
            "{label} has not moved for a long time, so I stopped checking. "
            "Subscribe again if you need to.",
        ),
        "sub_stopped_tail": (
            "{label} 需要正确的手机尾号才能查询，已停止自动查询。"
            "请重新发送 /subscribe 单号 尾号。",
            "{label} needs the right phone tail; I stopped checking. "
            "Send /subscribe <number> <tail> again.",
        ),
        "sub_quota_paused": (
            "⚠️ 查询次数已用完，订阅的自动查询暂停，恢复后会继续通知你（已通知管理员）。",
            "⚠️ The tracking quota is used up: subscription checks are paused and resume "
            "when calls work again (the operator has been told).",
        ),
        "sub_status": (
            "📊 运行状态\n今日上游调用：{calls}（本进程；计费 {billed}）\n"
            "订阅轮询今日：{poller} / 预算 {budget}\n缓存命中率：{rate}\n"
            "活跃订阅：{active}（{parcels} 个单号，{due} 个待查询）",
            "📊 Status\nUpstream calls today: {calls} (this process; billed {billed})\n"
            "Poller calls today: {poller} / budget {budget}\nCache hit rate: {rate}\n"
            "Active subscriptions: {active} ({parcels} numbers, {due} due)",
        ),
        "sub_status_errors": ("上游错误：{errors}", "Upstream errors: {errors}"),
        "sub_status_quota": (
            "⚠️ 配额已用完（自 {since}），轮询暂停，下次试探 {until}",
            "⚠️ Quota exhausted since {since}; polling paused, next probe {until}",
        ),
        "sub_status_throttled": (
            "⚠️ 上游限流（自 {since}），退避至 {until}",
            "⚠️ Throttled by the upstream since {since}; backing off until {until}",
        ),
        "sub_status_ok": ("上游正常。", "Upstream OK."),
        "sub_carrier_corrected": (
            "📦 {label}：快递公司已更正为 {carrier}，之后的进展照常通知你。",
            "📦 {label}: the carrier was corrected to {carrier}; updates continue as before.",
        ),
        "sub_status_provider": (
            "🔌 {name}：今日调用 {calls}，回答 {answers} 次{state}",
            "🔌 {name}: {calls} calls today, {answers} answers{state}",
        ),
        "sub_status_provider_resting": (
            "，暂停中（{reason}，连续失败 {failures} 次，{seconds} 秒后重试）",
            "; resting ({reason}, {failures} failures in a row, retried in {seconds} s)",
        ),
        "sub_status_push": (
            "📮 快递100 推送跟踪的单号：{pairs}",
            "📮 Parcels followed by Kuaidi100 push: {pairs}",
        ),
        "sub_status_failovers": (
            "转由备用上游回答：{pairs}",
            "Passed to the next provider: {pairs}",
        ),
        "sub_status_parked": (
            "🅿️ 已搁置（{queue}）：{count} 条（{reasons}），最近：",
            "🅿️ Parked ({queue}): {count} ({reasons}); newest:",
        ),
    }
)
