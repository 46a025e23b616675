"""The gateway's kept answers on a real nats-server: each notice drops what was made of its source (and nothing
else), an answer whose request was in flight during a drop is not kept, a change of anyone's credentials drops
everything, and nothing is kept past the bound the registry gave."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import jwt
import nats
import pytest
from nats.aio.client import Client as NatsClient

from contracts.events.credentials import CredentialsChanged
from contracts.subjects import LIVE_CHANGED_SUBJECT, registry_reads_dropped_subject
from services.gateway.forward import Answer
from services.gateway.kept_answers import KeptAnswers, answer_key, token_expiry

CREDS = {"x-api-key": "K-1", "x-api-secret": "S-1"}


def key_of(name: str, creds: dict[str, str] = CREDS) -> tuple[str, str, bytes, str]:
    found = answer_key("read", name, b"{}", creds)
    assert found is not None
    return found


def answer(sources: str, kept_for: float = 5.0) -> Answer:
    return Answer(200, b'{"name": "web"}', sources, kept_for)


@pytest.fixture
async def link(nats_url: str) -> AsyncIterator[tuple[KeptAnswers, NatsClient]]:
    """Kept answers hearing notices on one connection, and another connection publishing them."""
    nc = await nats.connect(nats_url)
    publisher = await nats.connect(nats_url)
    kept = KeptAnswers()
    await kept.watch(nc)
    try:
        yield kept, publisher
    finally:
        await kept.stop()
        await publisher.close()
        await nc.close()


async def notice(publisher: NatsClient, subject: str, data: bytes = b"") -> None:
    await publisher.publish(subject, data)
    await publisher.flush()
    await asyncio.sleep(0.05)


async def test_a_notice_drops_what_was_made_of_its_source_only(link: tuple[KeptAnswers, NatsClient]) -> None:
    kept, publisher = link
    kept.keep(key_of("GetDeployment"), answer("Deployment"), kept.began())
    kept.keep(key_of("ListDeployments"), answer("(live),Deployment,Server"), kept.began())
    kept.keep(key_of("GetServer"), answer("Server"), kept.began())
    assert kept.get(key_of("GetDeployment")) is not None
    await notice(publisher, LIVE_CHANGED_SUBJECT)
    assert kept.get(key_of("ListDeployments")) is None
    assert kept.get(key_of("GetDeployment")) is not None
    await notice(publisher, registry_reads_dropped_subject("Server"))
    assert kept.get(key_of("GetServer")) is None
    assert kept.get(key_of("GetDeployment")) is not None
    assert kept.get(key_of("GetDeployment", {"authorization": "another token"})) is None


async def test_an_answer_in_flight_during_a_drop_is_not_kept(link: tuple[KeptAnswers, NatsClient]) -> None:
    kept, publisher = link
    began = kept.began()
    await notice(publisher, registry_reads_dropped_subject("Deployment"))
    kept.keep(key_of("GetDeployment"), answer("Deployment"), began)
    assert kept.get(key_of("GetDeployment")) is None
    # The positive control: the same answer, its request begun after the drop, is kept.
    kept.keep(key_of("GetDeployment"), answer("Deployment"), kept.began())
    assert kept.get(key_of("GetDeployment")) is not None


async def test_changed_credentials_drop_everything(link: tuple[KeptAnswers, NatsClient]) -> None:
    kept, publisher = link
    kept.keep(key_of("GetDeployment"), answer("Deployment"), kept.began())
    kept.keep(key_of("GetServer", {"authorization": "token"}), answer("Server"), kept.began())
    began = kept.began()
    event = CredentialsChanged(user_id="someone", reason="permission changed")
    await notice(publisher, event.SUBJECT, event.model_dump_json(by_alias=True).encode())
    assert len(kept) == 0
    kept.keep(key_of("GetDeployment"), answer("Deployment"), began)
    assert kept.get(key_of("GetDeployment")) is None


async def test_nothing_is_kept_past_its_bound_nor_without_the_headers(
    link: tuple[KeptAnswers, NatsClient],
) -> None:
    kept, _ = link
    kept.keep(key_of("GetDeployment"), answer("Deployment", kept_for=0.1), kept.began())
    assert kept.get(key_of("GetDeployment")) is not None
    await asyncio.sleep(0.15)
    assert kept.get(key_of("GetDeployment")) is None
    kept.keep(key_of("ListProcedures"), Answer(200, b"[]"), kept.began())
    kept.keep(key_of("GetServer"), Answer(404, b"{}", "Server", 5.0), kept.began())
    assert len(kept) == 0
    assert answer_key("read", "GetDeployment", b"{}", {}) is None


async def test_nothing_is_kept_past_the_expiry_of_its_token(link: tuple[KeptAnswers, NatsClient]) -> None:
    kept, _ = link
    token = {"authorization": jwt.encode({"sub": "u", "exp": int(time.time()) + 1}, "k" * 32)}
    expiry = token_expiry(token)
    assert expiry is not None
    kept.keep(key_of("GetDeployment", token), answer("Deployment"), kept.began(), expiry)
    assert kept.get(key_of("GetDeployment", token)) is not None
    await asyncio.sleep(expiry - time.time() + 0.05)
    assert kept.get(key_of("GetDeployment", token)) is None
    kept.keep(key_of("GetDeployment", token), answer("Deployment"), kept.began(), expiry)
    assert len(kept) == 0
    assert token_expiry({"authorization": "not a token"}) == 0.0 and token_expiry(CREDS) is None


async def test_nothing_is_kept_once_the_connection_is_gone(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    kept = KeptAnswers()
    await kept.watch(nc)
    kept.keep(key_of("GetDeployment"), answer("Deployment"), kept.began())
    assert kept.get(key_of("GetDeployment")) is not None
    await nc.close()
    assert kept.get(key_of("GetDeployment")) is None
    kept.keep(key_of("GetDeployment"), answer("Deployment"), kept.began())
    assert len(kept) == 0
    await kept.stop()


class RoundTrip:
    """Stands for the bus round trip: answers `answer` once released, counting the requests sent."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.sent = 0
        self.release = asyncio.Event()

    async def fetch(self) -> Answer:
        self.sent += 1
        await self.release.wait()
        return self.answer


async def test_a_crowd_asking_while_one_request_is_on_its_way_sends_one(
    link: tuple[KeptAnswers, NatsClient],
) -> None:
    kept, _ = link
    registry = RoundTrip(answer("Deployment"))
    crowd = [asyncio.create_task(kept.answer(key_of("GetDeployment"), registry.fetch)) for _ in range(50)]
    await asyncio.sleep(0.05)
    registry.release.set()
    assert {a.body for a in await asyncio.gather(*crowd)} == {b'{"name": "web"}'}
    assert registry.sent == 1 and kept.joined == 49
    # Other credentials never share it.
    other = RoundTrip(answer("Deployment"))
    other.release.set()
    await kept.answer(key_of("GetDeployment", {"authorization": "another token"}), other.fetch)
    assert other.sent == 1


async def test_a_request_after_a_notice_does_not_share_one_sent_before_it(
    link: tuple[KeptAnswers, NatsClient],
) -> None:
    kept, publisher = link
    before = RoundTrip(answer("Deployment"))
    early = asyncio.create_task(kept.answer(key_of("GetDeployment"), before.fetch))
    await asyncio.sleep(0.02)
    await notice(publisher, registry_reads_dropped_subject("Server"))
    after = RoundTrip(Answer(200, b'{"name": "new"}', "Deployment", 5.0))
    late = asyncio.create_task(kept.answer(key_of("GetDeployment"), after.fetch))
    await asyncio.sleep(0.02)
    before.release.set()
    after.release.set()
    assert (await early).body == b'{"name": "web"}'
    assert (await late).body == b'{"name": "new"}'
    assert before.sent == 1 and after.sent == 1 and kept.joined == 0


async def test_answers_that_may_not_be_kept_are_not_shared(link: tuple[KeptAnswers, NatsClient]) -> None:
    kept, _ = link
    registry = RoundTrip(Answer(200, b"[]"))
    crowd = [asyncio.create_task(kept.answer(key_of("ListProcedures"), registry.fetch)) for _ in range(5)]
    await asyncio.sleep(0.05)
    registry.release.set()
    await asyncio.gather(*crowd)
    assert kept.joined == 0 and registry.sent == 5
    # Known now as not keepable: the next crowd does not wait for one of its own.
    again = [asyncio.create_task(kept.answer(key_of("ListProcedures"), registry.fetch)) for _ in range(5)]
    await asyncio.gather(*again)
    assert registry.sent == 10 and kept.joined == 0
