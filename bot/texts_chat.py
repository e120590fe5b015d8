"""Sentences of the help, small talk, language choice, long messages and unsubscribe
choices, in Chinese and English; merged into `bot.texts.TEXTS`."""

from __future__ import annotations

CHAT_TEXTS: dict[str, tuple[str, str]] = {
    "help": (
        "📦 快递查询机器人\n"
        "直接发送快递单号（一次可发多个，每条消息先查 5 个），我会识别快递公司并查询物流。\n"
        "命令（括号里是也能直接打的中文词）：\n"
        "/track 单号 [手机尾号] — 查快递（/t、查快递、查单号、查物流、查询）\n"
        "/subscribe 单号 [尾号] [备注] [重要|全部] — 订阅，有新动态时通知你；"
        "“重要”（milestones）只推送揽收、派送、签收和异常，“全部”（all）恢复全部动态"
        "（/sub、订阅、关注）\n"
        "/unsubscribe [单号|备注] — 取消订阅，不带参数时列出按钮"
        "（/unsub、取消订阅、退订、取消关注）\n"
        "/list — 我的快递（/ls、我的快递、我的订阅、订阅列表）\n"
        "/rename 单号 备注 — 修改备注（/label、备注、改备注）\n"
        "/carriers 关键字 [页码] — 查快递公司和客服电话（/carrier、快递公司、查快递公司）\n"
        "/history 单号 [页码] — 全部物流记录（全部记录、物流详情）\n"
        "/lang zh|en|auto — 回复语言（/language、语言）\n"
        "/cancel — 不再等手机尾号（也可以直接说“取消”“算了”）\n"
        "/auto on|off — 群里自动识别所有单号（自动识别，仅群聊）\n"
        "/status — 运行状态（运行状态，仅管理员）\n"
        "/help — 本说明（/start、帮助、使用说明）\n"
        "顺丰需要收件人或寄件人手机后4位：我会问你，回复 1234、尾号1234 或完整手机号都行，"
        "只问一次。",
        "📦 Parcel tracking bot\n"
        "Send me waybill numbers (several at once is fine; 5 per message are tracked first); "
        "I identify the carrier and track them.\n"
        "Commands (short forms in brackets):\n"
        "/track <number> [phone tail] — track a parcel (/t)\n"
        "/subscribe <number> [tail] [label] [milestones|all] — get a message when it moves; "
        "milestones: only pickup, out for delivery, delivered and problems; all: every "
        "update again (/sub)\n"
        "/unsubscribe [number|label] — stop following; without one, buttons to choose "
        "(/unsub)\n"
        "/list — my parcels (/ls)\n"
        "/rename <number> <label> — change a label (/label)\n"
        "/carriers <keyword> [page] — search carriers and their hotlines (/carrier)\n"
        "/history <number> [page] — the full tracking history\n"
        "/lang zh|en|auto — reply language (/language)\n"
        "/cancel — stop waiting for a phone tail (or just say “cancel”)\n"
        "/auto on|off — read every message in a group (groups only)\n"
        "/status — bot status (admins only)\n"
        "/help — this text (/start)\n"
        "SF Express needs the last 4 digits of the sender's or recipient's phone: I ask once; "
        "reply 1234, “last 4 digits 1234” or the whole number.",
    ),
    "too_many": (
        "消息里有 {count} 个单号，先查前 {limit} 个。其余 {rest} 个：{command}",
        "That message has {count} numbers; tracking the first {limit}. The other {rest}: "
        "{command}",
    ),
    "btn_track_rest": ("🔍 查其余 {rest} 个", "🔍 Track the other {rest}"),
    "talk_hello": (
        "你好！把快递单号发给我（可以直接粘贴短信或聊天记录），我帮你查物流。"
        "发送 /help 查看全部用法。",
        "Hi! Send me a waybill number (pasting a whole message is fine) and I'll track it. "
        "/help lists everything I can do.",
    ),
    "talk_thanks": (
        "不客气！需要时随时发单号给我。",
        "You're welcome! Send a number whenever you need one tracked.",
    ),
    "talk_ack": ("👌 需要查快递时直接发单号给我。", "👌 Send a waybill number whenever you like."),
    "talk_human": (
        "我是自动查询机器人，没有人工客服。包裹的问题请联系快递公司：发送 /carriers 公司名 "
        "查客服电话；查询卡片下方也有电话。",
        "I'm an automatic tracking bot; there is no human here. For a problem with a parcel "
        "call the carrier: /carriers <name> shows its hotline, and tracking cards list it too.",
    ),
    "lang_set": ("好的，以后用中文回复。", "OK, I'll reply in English from now on."),
    "lang_auto": (
        "好的，按你的消息自动选择中文或英文。",
        "OK, I'll answer in the language of your messages.",
    ),
    "lang_usage": (
        "用法：/lang zh（中文）、/lang en（English）或 /lang auto（按消息自动）",
        "Usage: /lang zh (Chinese), /lang en (English) or /lang auto (follow my messages)",
    ),
    "unsub_choose": (
        "要取消哪个订阅？点下面的按钮：",
        "Which parcel should I stop following? Tap one:",
    ),
    "unsub_choose_label": (
        "有 {count} 个订阅的备注是“{label}”，点一个取消：",
        "{count} followed parcels are labelled “{label}”; tap the one to stop following:",
    ),
    "unsub_no_match": (
        "这里没有单号或备注是“{label}”的订阅。发送 /unsubscribe 可从列表里选。",
        "Nothing followed here has the number or label “{label}”. "
        "Send /unsubscribe to choose from a list.",
    ),
}
