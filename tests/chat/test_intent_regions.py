"""`from <regions>` on probes and watches, and `regions`: what is read as regions, what is not."""

from __future__ import annotations

import pytest

from bot.intent import Ask, Invalid, ListRegions, Probe, Watch, parse

URL = "https://shop.example.com/cart"


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (f"probe {URL} from fra,sin", ("fra", "sin")),
        (f"probe {URL} from fra, sin", ("fra", "sin")),
        (f"probe {URL} from fra sin", ("fra", "sin")),
        (f"probe {URL} from FRA,sin,fra", ("fra", "sin")),
        (f"probe {URL} from all", "all"),
        (f"probe {URL} from ALL.", "all"),
        (f"<@U0BOT> <{URL}|shop.example.com/cart> from all", "all"),
        (f"{URL} from eu-west-1", ("eu-west-1",)),
        (f"探测 {URL} 从 fra、sin", ("fra", "sin")),
        (f"探测 {URL} 来自 all", "all"),
        (f"{URL}从所有区域", "all"),
        (f"{URL} 从全部节点", "all"),
    ],
)
def test_probes_from_regions(text: str, regions: object) -> None:
    intent = parse(text)
    assert isinstance(intent, Probe), intent
    assert intent.url == URL
    assert intent.regions == regions


def test_the_clause_comes_off_whatever_else_is_said() -> None:
    intent = parse(f"probe {URL} origin=203.0.113.9:8080 from fra")
    assert isinstance(intent, Probe)
    assert (intent.origin, intent.regions) == ("203.0.113.9:8080", ("fra",))
    coded = parse(f"{URL} from sin gives 522")  # right after the URL, in a mention
    assert isinstance(coded, Probe)
    assert (coded.regions, coded.code) == (("sin",), 522)


@pytest.mark.parametrize(
    ("text", "duration", "regions"),
    [
        (f"watch {URL} for 30m from all", 1800.0, "all"),
        (f"watch {URL} from fra,sin for 10m", 600.0, ("fra", "sin")),
        (f"watch {URL} from sin", None, ("sin",)),
        (f"监控 {URL} 30分钟 从 all", 1800.0, "all"),
    ],
)
def test_watches_from_regions(text: str, duration: float | None, regions: object) -> None:
    intent = parse(text)
    assert isinstance(intent, Watch), intent
    assert (intent.url, intent.duration, intent.regions) == (URL, duration, regions)


@pytest.mark.parametrize(
    "text",
    [
        f"{URL} fails from my laptop too",  # a sentence, not a region list after the URL
        f"{URL} from fra.example.com",  # a host name
        f"probe {URL}/from/fra",  # inside the URL
        f"{URL}?from=fra",
        f"https://x.example/ 从昨天开始报 502 {URL}",
        f"probe {URL} from https://elsewhere.example/",
    ],
)
def test_what_is_not_a_region_list(text: str) -> None:
    intent = parse(text)
    assert isinstance(intent, Probe), intent
    assert intent.regions is None


def test_a_question_keeps_its_words() -> None:
    assert parse("why does it fail from all regions") == Ask("why does it fail from all regions")


@pytest.mark.parametrize(
    ("text", "language", "words"),
    [
        (f"probe {URL} from all,fra", "en", "“all,fra” as regions"),
        (f"probe {URL} from local", "en", "“local” as regions"),
        (f"watch {URL} from fra,{'x' * 40}", "en", "as regions"),
        (f"探测 {URL} 从 all,fra", "zh", "无法把“all,fra”识别为区域"),
    ],
)
def test_a_list_that_is_not_regions_is_a_worded_problem(
    text: str, language: str, words: str
) -> None:
    intent = parse(text, language=language)  # type: ignore[arg-type]
    assert isinstance(intent, Invalid), intent
    assert intent.about == "regions"
    assert words in intent.problem
    assert "`from all`" in intent.problem


@pytest.mark.parametrize("text", ["regions", "Regions?", "list regions", "区域", "节点列表"])
def test_regions_lists_the_agents(text: str) -> None:
    assert parse(text) == ListRegions()


def test_more_than_regions_is_a_question() -> None:
    assert isinstance(parse("which regions does EdgeOne have"), Ask)
