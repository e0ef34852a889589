"""Hostile and random input at the engine's entry, in every conversation state: no exception, no
state corruption, and every reply a readable sentence.

CI runs a few hundred examples; ``make fuzz`` runs 10,000 (``FUZZ_EXAMPLES``) and prints the count.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.records import ConversationState, TicketStatus
from bot.core.types import ButtonPress, ChannelAddress, Event, InboundMessage, UserRef
from tests.fakes import DeskWorld

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
RUN = {"examples": 0, "inputs": 0, "crashes": 0}

HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "\x00\x01\x02\x1b[31m",
        "\u202eolleh\u202c",  # right-to-left override
        "مرحبا، الطابعة لا تعمل",
        "🔥💻🖨️" * 50,
        "<b>bold</b><script>alert(1)</script>",
        "*bold* _italic_ `code` ```block```",
        "<@U123> <!channel> @everyone",
        "{number} {c} %s %(name)s {{}}",
        "a" * 20000,
        "\n" * 500,
        "\ud800",  # a lone surrogate
        "' OR 1=1; DROP TABLE tickets; --",
        "1",
        "5",
        "#1",
        "ransomware",
    ]
)
TEXTS = st.one_of(HOSTILE, st.text(max_size=300), st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
COMMANDS = st.sampled_from(
    [
        "",
        "start",
        "help",
        "lang",
        "status",
        "cancel",
        "ticket",
        "mydata",
        "forget",
        "nosuch",
        "LANG",
        "resolve",
        "claim",
        "faq",
        "report",
    ]
)
ACTIONS = st.sampled_from(
    [
        "solved",
        "unsolved",
        "human",
        "rate",
        "reopen",
        "pick",
        "none",
        "skip",
        "forget",
        "claim",
        "resolve",
        "prio",
        "zz",
    ]
)
VALUES = st.one_of(
    st.sampled_from(
        ["", "1", "2", "999", "1:5", "1:9", "2:1", "abc", "-1", "1:", ":", "yes", "no", "phishing-report"]
    ),
    st.text(max_size=40),
)
STATES = st.sampled_from(["idle", "feedback", "clarifying", "triage", "relay", "rating"])
EVENT = st.one_of(
    st.tuples(st.just("text"), TEXTS, COMMANDS),
    st.tuples(st.just("button"), ACTIONS, VALUES),
)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = asyncio.new_event_loop()
    yield event_loop
    event_loop.close()


async def bring_to(world: DeskWorld, state: str, name: str) -> None:
    """Put ``name``'s conversation in ``state`` with an ordinary dialogue."""
    await world.user_says("/lang id", name=name)  # an earlier example may have switched it
    await world.user_says("/cancel", name=name)
    if state == "feedback":
        await world.user_says("printer offline", name=name)
    elif state == "clarifying":
        await world.user_says("how do I connect to vpn or wifi", name=name)
    elif state == "triage":
        await world.user_says("/ticket", name=name)
    elif state == "relay":
        await world.user_says("/ticket monitor mati", name=name)
        for _ in range(3):
            await world.user_presses("Lewati", name=name)
    elif state == "rating":
        await world.user_says("printer offline", name=name)
        await world.user_presses("Sudah teratasi", name=name)


def hostile_event(kind: str, first: str, second: str, name: str) -> Event:
    address = ChannelAddress("console", f"user-{name}")
    sender = UserRef("console", name, name.title())
    if kind == "text":
        return InboundMessage(
            address,
            sender,
            first,
            message_id=uuid.uuid4().hex[:8],
            command=second or None,
            event_id=uuid.uuid4().hex,
        )
    return ButtonPress(address, sender, first, second, uuid.uuid4().hex[:8], uuid.uuid4().hex)


UNFILLED = re.compile(r"\{[a-z_]+\}")


def own_words(reply: str, sent: str) -> str:
    """The bot's own words of ``reply``: without the text just sent and the "- ..." lines that
    quote stored messages and subjects (``/mydata``, ``/status``)."""
    if sent:
        reply = reply.replace(sent, "")
    return "\n".join(line for line in reply.splitlines() if not line.startswith("- ") and " - " not in line)


# The engine's answers to hostile input do not depend on the database; on SQLite only, the suite
# keeps to its time budget (PostgreSQL is exercised by every other engine test).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(state=STATES, events=st.lists(EVENT, min_size=1, max_size=3))
def test_hostile_input_in_every_state(
    world: DeskWorld, loop: asyncio.AbstractEventLoop, state: str, events: list[tuple[str, str, str]]
) -> None:
    # A person per few examples: state carries over between them, but no one's history grows
    # without end (which would only make /mydata and /forget slower and slower).
    RUN["examples"] += 1
    name = f"fuzz{RUN['examples'] // 5}"
    loop.run_until_complete(bring_to(world, state, name))
    for kind, first, second in events:
        before = len(world.sender.sent)
        RUN["inputs"] += 1
        try:
            loop.run_until_complete(world.engine.handle(hostile_event(kind, first, second, name)))
            loop.run_until_complete(world.deliver())
        except Exception:
            RUN["crashes"] += 1
            raise
        for sent in world.sender.sent[before:]:
            assert sent.text.strip() or sent.message.edit_message_id or sent.message.reaction
            assert not UNFILLED.search(own_words(sent.text, first if kind == "text" else ""))
        with world.uow_factory() as uow:
            conv = uow.conversations.get("console", f"user-{name}", name)
            assert conv is not None and conv.state in set(ConversationState)
            if conv.state == ConversationState.WITH_SPECIALIST:
                ticket = uow.tickets.get(conv.ticket_id) if conv.ticket_id else None
                assert ticket is not None
            for ticket in uow.tickets.open_for_requester("console", name):
                assert ticket.status in (TicketStatus.OPEN, TicketStatus.CLAIMED, TicketStatus.WAITING_USER)


def test_zz_fuzz_count(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints how many inputs the fuzz test ran (``make fuzz`` shows it)."""
    with capsys.disabled():
        print(f"\nfuzz: {RUN['examples']} examples, {RUN['inputs']} inputs run, {RUN['crashes']} crashes")
    assert RUN["crashes"] == 0


async def test_forged_buttons_for_someone_elses_ticket_change_nothing(world: DeskWorld) -> None:
    await world.user_says("printer offline")  # budi's ticket #1, answered by the FAQ
    before = world.ticket(1)
    snapshot = (before.status, before.rating, before.escalated)
    intruder = UserRef("console", "mallory", "Mallory")
    for action, value in [
        ("solved", "1"),
        ("rate", "1:1"),
        ("unsolved", "1"),
        ("human", "1"),
        ("reopen", "1"),
    ]:
        await world.engine.handle(
            ButtonPress(
                ChannelAddress("console", "user-mallory"), intruder, action, value, "", uuid.uuid4().hex
            )
        )
    await world.deliver()
    after = world.ticket(1)
    assert (after.status, after.rating, after.escalated) == snapshot
    replies = [s.text for s in world.sender.to("user-mallory")]
    assert replies and all("tidak berlaku" in text for text in replies)
