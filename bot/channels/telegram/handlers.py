"""The Telegram adapter: one message handler and one callback-query handler over the engine.

No conversation state lives here or in PTB: the chat → application map and every answer are in our
storage, and the YAML spec alone decides what comes next. Blocking work (engine turns, SQLite) runs on
worker threads through `run`."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Bot, CallbackQuery, Document, Message, PhotoSize, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.channels.telegram import render
from bot.channels.telegram.store import TelegramStore
from bot.documents.uploads import UPLOADS_AT_ONCE
from bot.engine.commands import parse_command
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
SEND_FAILED = "申报表没有发送成功（网络问题）。请点“下载申报表”再试一次。"
CHECKLIST_CAPTION = "提交清单（可打印）"
SEND_DELAYS_S = (1.0, 3.0, 9.0)  # waits before the 2nd, 3rd and 4th attempt to send a file
# Until the engine knows the download command (C2), the channel answers it itself.
ANSWER_COMMANDS = frozenset({"skip", "keep"})  # commands acting on the question shown: they carry its key
MODE_KINDS = frozenset({"notice", "help", "finding", "error"})  # replies that leave the question shown
BEIJING = dt.timezone(dt.timedelta(hours=8))
STALE_FILE = "这一题已经回答过了（可能在另一台设备上），文件没有保存。请回答当前问题。"
OTHER = "没有识别到内容。请用文字回答当前问题，照片题请直接发送照片。"
NOT_A_PHOTO = "这一题需要照片：请直接发送照片（JPG 或 PNG），或回复“跳过”。收到的文件类型是 {mime}。"


class TelegramChannel:
    def __init__(self, intake: Intake, chats: TelegramStore, run: Run) -> None:
        self.intake = intake
        self.chats = chats
        self.run = run
        self.resume_failures = Limiter(limit=10, window=600)  # wrong resume codes per chat, as on the web
        self.upload_slots = asyncio.Semaphore(UPLOADS_AT_ONCE)  # downloads held in memory at once
        self.send_delays = SEND_DELAYS_S

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
        elif _answers(text):
            key, _ = await self.run(self.chats.shown, chat_id, app_id)
            if key is not None:
                event["key"] = key  # C1: the engine refuses it if another device moved past that question
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
            await bot.send_message(chat_id, render.lockout(wait))
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
        if app.status == "complete":  # finished elsewhere (the web): its documents are one tap away here
            await bot.send_message(
                chat_id,
                f"已找到您的填写（续填码 {app.resume_code}）。申报表已生成，点“下载申报表”即可在这里收到。",
                reply_markup=render.download_keyboard(),
            )
        else:
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
        shown, _ = await self.run(self.chats.shown, chat_id, app_id)
        if shown is not None and slot is not None and shown != slot.key:  # C1: meant for a question gone by
            event = {"type": "file", "name": name[:100], "key": shown, "error": STALE_FILE}
            await self._turn(bot, chat_id, app_id, event, msg_id)
            return
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
        if chat is not None and chat.type == ChatType.PRIVATE and query.data == render.DOWNLOAD_CALLBACK:
            await query.answer()
            app_id = await self.run(self.chats.current, chat.id)
            if app_id is not None:
                await self._download(context.bot, chat.id, app_id, f"tg{update.update_id}")
            return
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
        label = "、".join(opts[int(n) - 1].label for n in text.split(",")) if option.done else option.label
        event: dict[str, Any] = {"type": "text", "text": text}
        asked = _question_key(app.state.get("last_replies") or [])  # the question this keyboard is under
        if option.answer and asked is not None:
            event["key"] = asked  # C1
        replies, fresh = await self.run(
            self.intake.turn, app.id, event, CHANNEL, None, f"tg{update.update_id}"
        )
        refused = asked is not None and option.answer and _question_key(r.as_dict() for r in replies) == asked
        await _mark_chosen(query, None if refused else label)  # refused: asked again, nothing looks chosen
        answered = query.message.message_id if isinstance(query.message, Message) else None
        await self._deliver(context.bot, chat.id, fresh, replies, answered)

    # -- replies ------------------------------------------------------------------

    async def _turn(self, bot: Bot, chat_id: int, app_id: str, event: dict[str, Any], msg_id: str) -> None:
        replies, app = await self.run(self.intake.turn, app_id, event, CHANNEL, None, msg_id)
        await self._deliver(bot, chat_id, app, replies)

    async def _deliver(
        self, bot: Bot, chat_id: int, app: Application, replies: list[Reply], answered: int | None = None
    ) -> None:
        """Send one turn's replies. The keyboard of the chat's previous turn is taken off (its buttons are
        stale now; `answered` is the message whose keyboard was already dealt with), and the question now
        shown is recorded with the chat (C1). A finished application's documents follow `done` (C2: also
        `documents`)."""
        as_text = await self._send_crops(bot, chat_id, app.id, replies)
        chunks, opts = render.turn(as_text)
        markup = render.keyboard(app.id, app.event_count, opts)
        shown_key, old_keyboard = await self.run(self.chats.shown, chat_id, app.id)
        if old_keyboard is not None and old_keyboard != answered:
            await _drop_keyboard(bot, chat_id, old_keyboard)
        keyboard_id = None
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            sent = await bot.send_message(chat_id, chunk, reply_markup=markup if last else None)
            if last and not all(render.lasting(o) for o in opts):  # a lasting keyboard stays
                keyboard_id = sent.message_id
        asked = _question_key(r.as_dict() for r in replies)
        if asked is None and not all(r.kind in MODE_KINDS for r in replies):
            shown_key = None  # a review, a menu, a stop, the end: no question is on screen
        await self.run(self.chats.set_shown, chat_id, app.id, asked or shown_key, keyboard_id)
        if any(r.kind in ("done", "documents") for r in replies):
            await self._send_documents(bot, chat_id, app)

    async def _send_crops(self, bot: Bot, chat_id: int, app_id: str, replies: list[Reply]) -> list[Reply]:
        """A `photo_crop` notice goes as the cropped preview photo with the notice as its caption (sent
        before the turn's text: it is about the answer just given). The replies left to send as text."""
        rest = []
        for reply in replies:
            crop = reply.data.get("photo_crop") if reply.kind == "notice" else None
            picture = None
            if isinstance(crop, dict):
                picture = await self.run(self.intake.photo_preview, app_id, str(crop.get("field", "")))
            if picture is None:
                rest.append(reply)
                continue
            try:
                await self._retrying(
                    functools.partial(bot.send_photo, chat_id, photo=picture, caption=reply.text)
                )
            except (NetworkError, RetryAfter, BadRequest):
                log.warning("sending the photo preview failed")
                rest.append(reply)  # the text still says how the photo will print
        return rest

    # -- documents ------------------------------------------------------------------

    async def _download(self, bot: Bot, chat_id: int, app_id: str, msg_id: str) -> None:
        """The 下载申报表 button (also after a failed send): the engine's `download` command (C2), whose
        `documents` reply sends the files again (typed 下载 / /download go the same way as any text)."""
        await self._turn(bot, chat_id, app_id, {"type": "text", "text": "/download"}, msg_id)

    async def _send_documents(self, bot: Bot, chat_id: int, app: Application) -> None:
        """The filled documents and the checklist, each send retried (network errors, timeouts, "slow
        down"); when one still fails, the applicant is told to tap 下载申报表 again."""
        docs = await self.run(self.intake.documents, app.id)
        version, when = await self.run(self._version, app.id)
        try:
            for doc in docs:
                name, caption = render.versioned(doc.filename, doc.title, version, when)
                send = functools.partial(
                    bot.send_document, chat_id, document=doc.data, filename=name, caption=caption
                )
                await self._retrying(send)
            await self._send_checklist(bot, chat_id, app.id)
        except (NetworkError, RetryAfter) as exc:
            log.warning("sending the documents failed after retries: %s", type(exc).__name__)
            with contextlib.suppress(TelegramError):
                await bot.send_message(chat_id, SEND_FAILED, reply_markup=render.download_keyboard())

    async def _send_checklist(self, bot: Bot, chat_id: int, app_id: str) -> None:
        pdf = await self.run(checklist_pdf, self.intake, app_id)
        if pdf is not None:
            filename, data = pdf
            send = functools.partial(
                bot.send_document, chat_id, document=data, filename=filename, caption=CHECKLIST_CAPTION
            )
            await self._retrying(send)
        checklist = await self.run(self.intake.checklist, app_id)
        for chunk in render.split(checklist.text()):
            await self._retrying(functools.partial(bot.send_message, chat_id, chunk))

    async def _retrying(self, send: Callable[[], Awaitable[T]]) -> T:
        """`send()`, tried again after each of `send_delays` when the network fails or Telegram says to
        slow down (a refused request, BadRequest, is not tried again: it would be refused again)."""
        for delay in (*self.send_delays, None):
            try:
                return await send()
            except BadRequest:
                raise
            except (NetworkError, RetryAfter) as exc:
                if delay is None:
                    raise
                wait = delay
                if isinstance(exc, RetryAfter):
                    after = exc.retry_after
                    wait = max(delay, after.total_seconds() if isinstance(after, dt.timedelta) else after)
                log.info("a send failed (%s), trying again in %.1f s", type(exc).__name__, wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    def _version(self, app_id: str) -> tuple[int, str | None]:
        """How many times this application's documents were generated, and when last (Beijing time)."""
        count, at = 0, None
        for event in self.intake.store.events(app_id):
            replies = event.payload.get("replies") if isinstance(event.payload, dict) else None
            if isinstance(replies, list) and any(
                isinstance(r, dict) and r.get("kind") == "done" for r in replies
            ):
                count, at = count + 1, event.at
        when = None
        if at is not None:
            moment = dt.datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).astimezone(BEIJING)
            when = f"{moment.month}月{moment.day}日 {moment:%H:%M} "
        return max(count, 1), when

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


def checklist_pdf(intake: Intake, app_id: str) -> tuple[str, bytes] | None:
    """The checklist as a PDF (file name, bytes), or None when no PDF can be made (no LibreOffice, or it
    failed): the checklist then goes as text only. Blocking: call on a worker thread."""
    try:
        found = intake.checklist_document(app_id, "pdf")
    except Exception as exc:  # PDF unavailable or failed: the text still goes
        log.warning("the checklist PDF could not be made: %s", type(exc).__name__)
        return None
    return (found.filename, found.data) if found.data else None


def _answers(text: str) -> bool:
    """Whether typed text answers the question shown (an answer, 跳过, 保持) rather than being a command."""
    command = parse_command(text)
    return command is None or command.name in ANSWER_COMMANDS


def _question_key(replies: Any) -> str | None:
    """The key of the last question among replies (dicts), or None."""
    key = None
    for reply in replies:
        if isinstance(reply, dict) and reply.get("kind") == "question":
            data = reply.get("data") or {}
            key = str(data["key"]) if isinstance(data, dict) and data.get("key") else None
    return key


async def _drop_keyboard(bot: Bot, chat_id: int, message_id: int) -> None:
    """Best effort: an old message's buttons are taken off (too old to edit, or already without: fine)."""
    try:
        await bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except TelegramError as exc:
        log.info("could not take the keyboard off an earlier message: %s", type(exc).__name__)


def _slash(text: str) -> tuple[str, str]:
    """("start", "payload") for "/start payload" (also "/start@bot payload"); ("", "") for other text."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return "", ""
    head, _, arg = stripped[1:].partition(" ")
    return head.split("@", 1)[0].lower(), arg.strip()


async def _mark_chosen(query: CallbackQuery, label: str | None) -> None:
    """Take the keyboard off the message that was answered and show what was chosen (None: the answer
    was refused, the keyboard goes and nothing is shown as chosen)."""
    message = query.message
    if not isinstance(message, Message) or message.text is None:
        return
    text = f"{message.text}\n\n» {label}"
    try:
        if label is not None and len(text) <= render.MAX_TEXT:
            await query.edit_message_text(text, reply_markup=None)
        else:
            await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as exc:  # too old to edit, or unchanged: the answer still counts
        log.info("could not edit the answered message: %s", exc)
