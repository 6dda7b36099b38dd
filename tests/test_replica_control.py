"""Mutations change exactly what they say, in Python and over the HTTP control address."""
from __future__ import annotations

import json

import pytest

from replica import Replica
from replica.probe import fetch


@pytest.fixture()
def rep():
    r = Replica(seed=3).start()
    yield r
    r.stop()


def by_rid(rep: Replica) -> dict[int, dict]:
    return {t["rid"]: t for t in rep.truth()}


def test_change_gives_new_bytes_for_exactly_n_reports(rep):
    before = by_rid(rep)
    old_entries = {e.rid: e for e in rep.catalog.entries()}
    sample = sorted(before)[::40]
    bodies = {rid: fetch(before[rid]["detail_url"]).body for rid in sample}
    changed = rep.change(5, seed=1)
    after = by_rid(rep)
    assert len(changed) == 5 and set(after) == set(before)
    assert sorted(rid for rid in after if after[rid]["revision"] != before[rid]["revision"]) == sorted(changed)
    for rid in changed:
        old, new = old_entries[rid], after[rid]
        site = rep.site(new["site"])
        assert before[rid]["detail_url"] == new["detail_url"]
        if new["format"] != "legacy" and new["carrier"] != "image":
            assert before[rid]["truth"]["metrics"] != new["truth"]["metrics"]
        if new["attachment_url"]:
            got = fetch(new["attachment_url"], headers={"Referer": new["detail_url"]}).body
            assert got != site.attachment_bytes(old)
        else:
            assert fetch(new["detail_url"]).body != site.render_detail(old).encode(site.encoding)
    for rid in sample:
        if rid not in changed:
            assert fetch(after[rid]["detail_url"]).body == bodies[rid]


def test_add_remove_and_zero(rep):
    before = by_rid(rep)
    added = rep.add(3, seed=2)
    removed = rep.remove(2, seed=2)
    after = by_rid(rep)
    assert set(after) == (set(before) | set(added)) - set(removed)
    for rid in removed:
        assert fetch(before[rid]["detail_url"]).status == 404
    for rid in added:
        t = after[rid]
        assert t["year"] == 2025 and fetch(t["detail_url"]).status == 200
    trs0_new = [after[r] for r in added if after[r]["site"] == "trs0"]
    page1 = fetch(rep.site("trs0").url("/zwgk/zfxxgk/zfxxgknb/index.html")).text()
    for t in trs0_new:  # newest first: new reports are on page 1
        assert t["detail_url"].split("/zfxxgknb/")[1] in page1
    rep.set_zero("boda")
    assert "info/1034" not in fetch(rep.site("boda").url("/xxgk/xxgknb.htm")).text()
    assert all(not t["listed"] for t in rep.truth() if t["site"] == "boda")
    rep.set_zero("boda", False)
    assert "info/1034" in fetch(rep.site("boda").url("/xxgk/xxgknb.htm")).text()


def test_control_over_http(rep):
    base = rep.control_url + "/__replica__/"
    truth = json.loads(fetch(base + "truth.json").body)
    assert len(truth["reports"]) == len(rep.truth()) and truth["non_reports"] == rep.non_reports()
    sites = json.loads(fetch(base + "sites.json").body)
    assert {s["id"] for s in sites} >= {"trs0", "fujian", "hanweb", "gd", "gkmlpt", "boda", "generic", "gbk"}
    # same host and port; a site with a broken scheme (quirk 20) starts on that scheme
    assert all(s["start_urls"][0].split("://")[1].startswith(s["base_url"].split("://")[1]) for s in sites)
    done = json.loads(fetch(base + "mutate?change=2&add=1&remove=1&seed=9", "POST").body)
    assert [len(done[k]) for k in ("changed", "added", "removed")] == [2, 1, 1]
    assert json.loads(fetch(base + "set_zero?site=gd", "POST").body)["zeroed"] == ["gd"]
    assert json.loads(fetch(base + "fault?rate=0.5&seed=4&delay=0.1", "POST").body)["rate"] == 0.5
    assert rep.faults.rate == 0.5 and rep.faults.delay == 0.1
    assert fetch(base + "mutate").status == 404  # mutations are POST only
    assert "requests" in json.loads(fetch(base + "stats.json").body)
