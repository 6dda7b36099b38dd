"""The fixed site layout of the replica (ids, families, addresses, start paths).

Kept as plain data so the crawler engineer can turn it into portal definitions without
starting a server; the URLs here are a contract and must stay stable.
"""
from __future__ import annotations

from dataclasses import dataclass

CONTROL_HOST = "127.0.0.1"
DEFAULT_PORT = 8800
OFFSITE_HOST = "127.0.0.250"  # nobody listens here: target of the "redirect to another host" fault


@dataclass(frozen=True)
class SiteInfo:
    id: str
    family: str
    host: str
    start_paths: tuple[str, ...]
    name: str  # the portal's name, as a site header would show it
    broken: str = ""  # quirk #20: "https" (TLS fails, http works) or "http" (http fails, https works)

    @property
    def scheme(self) -> str:
        """The scheme the site works on: its links and the truth's URLs use it."""
        return "https" if self.broken == "http" else "http"

    def base_url(self, port: int) -> str:
        return f"{self.scheme}://{self.host}:{port}"

    def start_urls(self, port: int) -> list[str]:
        """Where a user points the crawler: on the broken scheme when there is one, as a URL copied from a
        browser (which upgraded to https, or kept an old http bookmark) would be."""
        base = f"{self.broken}://{self.host}:{port}" if self.broken else self.base_url(port)
        return [base + p for p in self.start_paths]


SITE_LAYOUT: tuple[SiteInfo, ...] = (
    SiteInfo("trs0", "trs", "127.0.0.2", ("/zwgk/zfxxgk/zfxxgknb/index.html",), "青川县人民政府"),
    SiteInfo("trs1", "trs", "127.0.0.3", ("/xxgk/zfxxgknb/index.html",), "云溪县人民政府"),
    SiteInfo("fujian", "trs", "127.0.0.4", ("/zwgk/zfxxgk/zfxxgknb/",), "岚澳综合实验区管委会"),
    SiteInfo("hanweb", "hanweb", "127.0.0.5", ("/col/col1229114055/index.html",), "松阳县人民政府"),
    SiteInfo("hanweb-xxgk", "hanweb", "127.0.0.6", ("/module/xxgk/index.jsp",), "微山县人民政府"),
    SiteInfo("gd", "gd", "127.0.0.7", ("/zwgk/xxgknb/index.html",), "南澳县人民政府"),
    SiteInfo("gkmlpt", "gd", "127.0.0.8", ("/gkmlpt/index",), "连平县人民政府"),
    SiteInfo("boda", "boda", "127.0.0.9", ("/xxgk/xxgknb.htm",), "秦安县人民政府"),
    SiteInfo("generic", "generic", "127.0.0.10", ("/zfxxgk/zfxxgknb/index.html",), "合江县人民政府"),
    SiteInfo("gbk", "trs", "127.0.0.11", ("/xxgk/nb/index.htm",), "堃山县人民政府"),
    SiteInfo("lying", "generic", "127.0.0.12", ("/c112945/index.shtml",), "汉阴县人民政府"),
    SiteInfo("hostile-412", "hostile", "127.0.0.13", ("/zfxxgknb/index.html",), "瑞安县人民政府"),
    SiteInfo("hostile-521", "hostile", "127.0.0.14", ("/zfxxgknb/index.html",), "梅溪县人民政府"),
    SiteInfo("hostile-429", "hostile", "127.0.0.15", ("/zfxxgknb/index.html",), "限流县人民政府"),
    SiteInfo("hostile-robots", "hostile", "127.0.0.16", ("/zfxxgknb/index.html",), "顺义县人民政府"),
    SiteInfo("hostile-tls", "hostile", "127.0.0.17", ("/zfxxgknb/index.html",), "澄海县人民政府", broken="https"),
    SiteInfo("hostile-nohttp", "hostile", "127.0.0.18", ("/zfxxgknb/index.html",), "饶平县人民政府", broken="http"),
)


def site_info(site_id: str) -> SiteInfo:
    for s in SITE_LAYOUT:
        if s.id == site_id:
            return s
    raise KeyError(site_id)
