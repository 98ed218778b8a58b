"""The Telegram adapter: one message handler and one callback-query handler over the engine.

No conversation state lives here or in PTB: the chat → application map and every answer are in our
storage, and the YAML spec alone decides what comes next. Blocking work (engine turns, SQLite) runs on
worker threads through `run`."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Bot, CallbackQuery, Document, Message, PhotoSize, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.channels.telegram import render
from bot.channels.telegram.store import TelegramStore
from bot.documents.uploads import UPLOADS_AT_ONCE
from bot.engine.replies import Reply
from bot.engine.spec import FileField, ImageField
from bot.intake import Intake, normalize_suffix
from bot.ratelimit import Limiter
from storage import Application

CHANNEL = "telegram"
MAX_MESSAGE_CHARS = 2000
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the Bot API's getFile limit
IMAGE_MIMES = frozenset({"image/jpeg", "image/png", "image/mpo"})  # MPO: multi-picture JPEG from phones
log = logging.getLogger(__name__)

T = TypeVar("T")
Run = Callable[..., Awaitable[Any]]

EDITED = "修改已发送的消息不会更改答案。如需更改，请发送“修改”或 /edit。"
GROUP = "为保护个人信息，请私聊我填写申报表（点我的头像 → 发消息）。"
PICK_ONE = "请先点选至少一项，再点“完成选择”。"
STALE = "这个按钮已过期，请用最新一条消息里的按钮或直接回复。"
TOO_LONG = "内容太长（{n} 字），一次最多 {limit} 字。请精简后再发送。"
UNSUPPORTED = {
    "sticker": "收到了贴纸。请用文字回答当前问题。",
    "voice": "暂不支持语音。请用文字回答当前问题。",
    "audio": "暂不支持音频。请用文字回答当前问题。",
    "video": "暂不支持视频。请用文字回答当前问题。",
    "video_note": "暂不支持视频消息。请用文字回答当前问题。",
    "animation": "暂不支持动图。请用文字回答当前问题。",
    "location": "不需要发送位置。请用文字回答当前问题（地址请直接输入文字）。",
    "venue": "不需要发送位置。请用文字回答当前问题（地址请直接输入文字）。",
    "contact": "不需要发送联系人名片。请用文字输入号码。",
    "poll": "不支持投票。请用文字回答当前问题。",
    "dice": "请用文字回答当前问题。",
}
RESUME_REFUSED = (
    "续填码或身份证号码后四位不对，请核对。已填写身份证号码的，请在续填码后空一格写上其后四位，"
    "例如：/resume K7Q2M9XD 0526"
)
OTHER = "没有识别到内容。请用文字回答当前问题，照片题请直接发送照片。"
NOT_A_PHOTO = "这一题需要照片：请直接发送照片（JPG 或 PNG），或回复“跳过”。收到的文件类型是 {mime}。"


class TelegramChannel:
    def __init__(self, intake: Intake, chats: TelegramStore, run: Run) -> None:
        self.intake = intake
        self.chats = chats
        self.run = run
        self.resume_failures = Limiter(limit=10, window=600)  # wrong resume codes per chat, as on the web
        self.upload_slots = asyncio.Semaphore(UPLOADS_AT_ONCE)  # downloads held in memory at once

    def handlers(self) -> list[BaseHandler[Update, Any, Any]]:
        return [MessageHandler(filters.ALL, self.on_message), CallbackQueryHandler(self.on_callback)]

    # -- messages ---------------------------------------------------------------

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, chat = update.effective_message, update.effective_chat
        if msg is None or chat is None:
            return
        private = chat.type == ChatType.PRIVATE
        if update.edited_message is not None or update.edited_channel_post is not None:
            if private:
                await context.bot.send_message(chat.id, EDITED)
            return
        if not private:  # group, supergroup, channel: only a command gets an answer, and no state
            if (msg.text or "").startswith("/"):
                await context.bot.send_message(chat.id, GROUP)
            return
        msg_id = f"tg{update.update_id}"
        if msg.text is not None:
            await self._text(context.bot, chat.id, msg.text, msg_id)
        elif msg.photo:
            await self._upload(context.bot, chat.id, msg.photo[-1], "照片.jpg", "image/jpeg", msg_id)
        elif msg.document is not None:
            doc: Document = msg.document
            name = doc.file_name or "文件"
            await self._upload(context.bot, chat.id, doc, name, doc.mime_type or "", msg_id)
        else:
            kind = next((k for k in UNSUPPORTED if getattr(msg, k, None)), None)
            await context.bot.send_message(chat.id, UNSUPPORTED[kind] if kind else OTHER)

    async def _text(self, bot: Bot, chat_id: int, text: str, msg_id: str) -> None:
        if len(text) > MAX_MESSAGE_CHARS:
            await bot.send_message(chat_id, TOO_LONG.format(n=len(text), limit=MAX_MESSAGE_CHARS))
            return
        head, arg = _slash(text)
        if head == "start":
            await self._start(bot, chat_id, arg, msg_id)
            return
        if head == "resume":
            await self._resume(bot, chat_id, arg, msg_id)
            return
        app_id = await self.run(self.chats.current, chat_id)
        if app_id is None:
            await bot.send_message(chat_id, self._no_application())
            return
        event: dict[str, Any] = {"type": "text", "text": text}
        if head == "cancel":
            event = {"type": "command", "name": "stop"}
        await self._turn(bot, chat_id, app_id, event, msg_id)

    async def _start(self, bot: Bot, chat_id: int, payload: str, msg_id: str) -> None:
        campaigns = self.intake.registry.campaigns
        if payload and payload not in campaigns:
            await bot.send_message(chat_id, f"没有这个申报批次：{payload[:40]}\n" + self._campaign_list())
            return
        if not payload:
            current = await self.run(self.chats.current, chat_id)
            if current is not None:
                await self._turn(bot, chat_id, current, {"type": "command", "name": "start"}, msg_id)
                return
            today = self.intake.clock()
            open_ = [c for c in campaigns.values() if not c.is_closed(today)]
            if len(open_) != 1:
                await bot.send_message(chat_id, self._no_application())
                return
            payload = open_[0].id
        existing = await self.run(self.chats.for_campaign, chat_id, payload)
        if existing is not None:
            await self.run(self.chats.bind, chat_id, payload, existing)
            await self._turn(bot, chat_id, existing, {"type": "command", "name": "start"}, msg_id)
            return
        bind = functools.partial(self.chats.bind_in_write, chat_id, payload)  # committed with the application
        app, replies = await self.run(self.intake.start, payload, CHANNEL, None, bind, self._owner(chat_id))
        code = app.resume_code
        await bot.send_message(chat_id, f"续填码：{code}（在网页上或用 /resume {code} 可继续这次填写）")
        await self._deliver(bot, chat_id, app, replies)

    async def _resume(self, bot: Bot, chat_id: int, arg: str, msg_id: str) -> None:
        code, _, last4 = arg.strip().partition(" ")
        if not code:
            await bot.send_message(chat_id, "请在命令后写上续填码，例如：/resume K7Q2M9XD")
            return
        wait = self.resume_failures.acquire(str(chat_id))  # counted before the lookup
        if wait:
            await bot.send_message(chat_id, f"尝试次数太多，请 {wait} 秒后再试。")
            return
        app: Application | None = await self.run(self.intake.store.by_resume_code, code)
        suffix = self.intake.id_suffix(app) if app is not None else None
        if app is None or (
            suffix is not None and not hmac.compare_digest(normalize_suffix(last4).encode(), suffix.encode())
        ):  # one answer for both: a reply must not tell whether a code exists
            await bot.send_message(chat_id, RESUME_REFUSED)
            return
        self.resume_failures.refund(str(chat_id))
        await self.run(self.intake.store.add_owner, app.id, self._owner(chat_id))
        await self.run(self.chats.bind, chat_id, app.campaign_id or app.form_id, app.id)
        await bot.send_message(chat_id, f"已找到您的填写（续填码 {app.resume_code}），从上次的位置继续。")
        await self._turn(bot, chat_id, app.id, {"type": "command", "name": "start"}, msg_id)

    def _owner(self, chat_id: int) -> str:
        """This chat's owner key (see Store.add_owner): a keyed hash, not the chat id itself."""
        return self.intake.store.keys.blind_index(f"{self.chats.bot_id}:{chat_id}", domain="telegram-owner")

    async def _upload(
        self, bot: Bot, chat_id: int, media: PhotoSize | Document, name: str, mime: str, msg_id: str
    ) -> None:
        app_id = await self.run(self.chats.current, chat_id)
        if app_id is None:
            await bot.send_message(chat_id, self._no_application())
            return
        slot = await self.run(self.intake.current_slot, app_id)
        field = slot.info.field if slot is not None and slot.info is not None else None
        if not isinstance(field, ImageField | FileField):  # the engine says what it wants instead
            await self._turn(bot, chat_id, app_id, {"type": "file", "name": name[:100]}, msg_id)
            return
        limit = min(int(field.max_mb * 1024 * 1024), DOWNLOAD_LIMIT)
        size = media.file_size or 0
        error = None
        if size > limit:
            error = f"文件太大（{size / 1048576:.1f} MB），最大 {limit // 1048576} MB。请压缩后重新发送。"
        elif isinstance(field, ImageField) and isinstance(media, Document) and mime not in IMAGE_MIMES:
            error = NOT_A_PHOTO.format(mime=mime or "未知")
        if error is not None:  # refused before downloading anything
            event = {"type": "file", "error": error, "name": name[:100]}
            await self._turn(bot, chat_id, app_id, event, msg_id)
            return
        async with self.upload_slots:
            data = bytes(await (await media.get_file()).download_as_bytearray())
            replies, app, _refused = await self.run(
                self.intake.upload_turn, app_id, data, CHANNEL, name, None, msg_id
            )
        await self._deliver(bot, chat_id, app, replies)

    # -- keyboard taps ----------------------------------------------------------

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        chat = update.effective_chat
        if query is None:
            return
        parsed = render.parse_callback(query.data)
        if chat is None or chat.type != ChatType.PRIVATE or parsed is None:
            await query.answer()
            return
        prefix, turn, index = parsed
        app_id = await self.run(self.chats.current, chat.id)
        app: Application | None = await self.run(self.intake.store.get, app_id) if app_id else None
        opts = render.options(app.state.get("last_replies") or []) if app else []
        if app is None or not app.id.startswith(prefix) or app.event_count != turn or index >= len(opts):
            await query.answer(STALE)
            return
        option = opts[index]
        markup = query.message.reply_markup if isinstance(query.message, Message) else None
        if option.toggle:
            new = render.toggled(markup, index)
            await query.answer()
            if new is not None:
                with contextlib.suppress(BadRequest):
                    await query.edit_message_reply_markup(reply_markup=new)
            return
        text = option.text
        if option.done:
            chosen = [opts[i].text for i in render.ticked(markup) if i < len(opts) and opts[i].toggle]
            if not chosen:
                await query.answer(PICK_ONE)
                return
            text = ",".join(chosen)
        await query.answer()
        await _mark_chosen(
            query, "、".join(opts[int(n) - 1].label for n in text.split(",")) if option.done else option.label
        )
        event = {"type": "text", "text": text}
        await self._turn(context.bot, chat.id, app.id, event, f"tg{update.update_id}")

    # -- replies ------------------------------------------------------------------

    async def _turn(self, bot: Bot, chat_id: int, app_id: str, event: dict[str, Any], msg_id: str) -> None:
        replies, app = await self.run(self.intake.turn, app_id, event, CHANNEL, None, msg_id)
        await self._deliver(bot, chat_id, app, replies)

    async def _deliver(self, bot: Bot, chat_id: int, app: Application, replies: list[Reply]) -> None:
        opts = render.options(app.state.get("last_replies") or [])
        markup = render.keyboard(app.id, app.event_count, opts)
        chunks = render.texts(replies)
        for i, chunk in enumerate(chunks):
            await bot.send_message(chat_id, chunk, reply_markup=markup if i == len(chunks) - 1 else None)
        if any(r.kind == "done" for r in replies):
            for doc in await self.run(self.intake.documents, app.id):
                await bot.send_document(chat_id, document=doc.data, filename=doc.filename, caption=doc.title)
            checklist = await self.run(self.intake.checklist, app.id)
            for chunk in render.split(checklist.text()):
                await bot.send_message(chat_id, chunk)

    def _campaign_list(self) -> str:
        today = self.intake.clock()
        lines = [
            f"· {c.title}（{c.institution}）：/start {c.id}"
            for c in self.intake.registry.campaigns.values()
            if not c.is_closed(today)
        ]
        return "\n".join(["可以填写的申报批次：", *lines]) if lines else "目前没有正在受理的申报批次。"

    def _no_application(self) -> str:
        return (
            "请通过申报通知里的链接进入，或发送 /start 加批次编号开始；"
            "在网页上已开始的填写，发送 /resume 加续填码继续。\n" + self._campaign_list()
        )


def _slash(text: str) -> tuple[str, str]:
    """("start", "payload") for "/start payload" (also "/start@bot payload"); ("", "") for other text."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return "", ""
    head, _, arg = stripped[1:].partition(" ")
    return head.split("@", 1)[0].lower(), arg.strip()


async def _mark_chosen(query: CallbackQuery, label: str) -> None:
    """Take the keyboard off the message that was answered and show what was chosen."""
    message = query.message
    if not isinstance(message, Message) or message.text is None:
        return
    text = f"{message.text}\n\n» {label}"
    try:
        if len(text) <= render.MAX_TEXT:
            await query.edit_message_text(text, reply_markup=None)
        else:
            await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as exc:  # too old to edit, or unchanged: the answer still counts
        log.info("could not edit the answered message: %s", exc)
