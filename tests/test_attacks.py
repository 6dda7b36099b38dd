"""The bounded set of bench/attack.py through the real commands: each hostile input held in < 60 s and
< 1.5 GB, refused with an error naming it, the real reports beside it archived.

Every attack with a small form: the resource caps (owner "limits") and the non-report and encoding ones
(owner "meta", refused or read by the parser).
"""
from __future__ import annotations

import pytest
from bench_modules import bench_module

attack_bench = bench_module("attack")

OURS = [a for a in attack_bench.ATTACKS if a.small]


@pytest.mark.parametrize("attack", OURS, ids=[a.name for a in OURS])
def test_attack_is_held(attack, corpus):
    held, why, out = attack_bench.run(attack, small=True)
    assert held, f"{attack.name}: {why} ({out.seconds:.1f} s, {out.rss_mb:.0f} MB)\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    assert out.seconds < 30, f"{attack.name} took {out.seconds:.1f} s: an early cap should stop it"
