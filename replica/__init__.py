"""Replica portals: one local server imitating the CMS families of county 年报 sites.

Why: real portals are out of reach, so the spiders are proven against local sites that
reproduce the real quirks (shared/notes/cms-patterns.md §6), with known truth per report.

Layout (stable; every site has its own loopback address, all on ONE port, default 8800):

  address      site id          family   start URL(s)                                   quirks (cms-patterns §6 row)
  127.0.0.1    (control)        -        /__replica__/truth.json, sites.json, stats.json, POST mutate, set_zero, fault
  127.0.0.2    trs0             trs      /zwgk/zfxxgk/zfxxgknb/index.html               createPageHTML, page 2 = index_1.html; past end -> 200 meta-refresh (1,2,4)
  127.0.0.3    trs1             trs      /xxgk/zfxxgknb/index.html                      createPageHTML 1-based, page 2 = index_2.html (1,2,4)
  127.0.0.4    fujian           trs      /zwgk/zfxxgk/zfxxgknb/                         10 static items, then POST /fjdzapp/search JSON; no index_1; attachments only in JS arrays + pdf.js iframe (3,4,5)
  127.0.0.5    hanweb           hanweb   /col/col1229114055/index.html                  <datastore> CDATA, POST /module/web/jpage/dataproxy.jsp, group=3*perpage + overlap, ?pageNum ignored, art/Y/M/D (6,7,8)
  127.0.0.6    hanweb-xxgk      hanweb   /module/xxgk/index.jsp                         POST /module/xxgk/search.jsp (currpage, 共N页), xxgkAnnualReport.jsp?area=&fbtime= (9)
  127.0.0.7    gd               gd       /zwgk/xxgknb/index.html                        index_2.html = page 2, content/post_N.html, a.nfw-cms-attachment alt=name, /attachment/0/a/b/<postid>.pdf (10)
  127.0.0.8    gkmlpt           gd       /gkmlpt/index                                  window._CONFIG {SID,TREE}; GET /gkmlpt/api/all/<cat>?page=&sid= (100/page, page 0 == page 1); _CONFIG.DETAIL (11)
  127.0.0.9    boda             boda     /xxgk/xxgknb.htm                               xxgknb/N.htm descending, span.p_next, p_t "1/N", ../info/1034/ID.htm; download.jsp needs Referer (12,13)
  127.0.0.10   generic          generic  /zfxxgk/zfxxgknb/index.html                    location.replace shell, javascript:void(0)+onclick links, 2023n/ xzjd/ bmxxgknb/ sub-columns, non-report items (17,18)
  127.0.0.11   gbk              trs      /xxgk/nb/index.htm                             GBK bytes, no charset in Content-Type header, meta says gb2312, organ names with 喆/堃 (16)
  127.0.0.12   lying            generic  /c112945/index.shtml                           UTF-8 bodies under <meta charset="gb2312">, some with header charset=GBK (16)
  127.0.0.13   hostile-412      hostile  /zfxxgknb/index.html                           every request: 412 + $_ts script (19)
  127.0.0.14   hostile-521      hostile  /zfxxgknb/index.html                           521 + document.cookie=__jsl_clearance_s=…;location.href=… until the cookie is sent (19)
  127.0.0.15   hostile-429      hostile  /zfxxgknb/index.html                           429 + Retry-After after `rate_limit` requests per minute per client (19)
  127.0.0.16   hostile-robots   hostile  /zfxxgknb/index.html                           robots.txt `Disallow: /`; pages themselves are served (19)
  127.0.0.17   hostile-tls      hostile  https://…/zfxxgknb/index.html                  https: TLS handshake fails (fatal alert); http works and is the base URL (20)
  127.0.0.18   hostile-nohttp   hostile  http://…/zfxxgknb/index.html                   http: connection reset; https works (self-signed certificate made at start) (20)

With `Replica(counties=True)` (`--counties`), 127.0.0.30–36 and 127.0.0.40 also serve five whole counties
(homepages, 信息公开 platforms, 20+ units' 年报 columns each) for `nianbao discover`: see
replica.sites.county; their truth is counties() / GET /__replica__/counties.json. sites() and
the 17 sites' figures do not change.

With `Replica(endless="lying")` that site's column never ends: page N lists reports (`endless_items="cycle"`:
others each page; "repeat": the same again) and links to page N+1 with 下一页 (issue #11).

Every report is an HTML page; some carry their tables only in a PDF/DOCX attachment (page text
"详见附件"), some only as <img> (truth then has no table keys), legacy (pre-2019) ones have none.
Report pages and attachments answer conditional GETs (ETag / Last-Modified -> 304).
TLS quirk (#20): both schemes share the site's one port (replica.tls tells them apart by the first
byte); sites() gives the start URL on the broken scheme, base_url and the truth's URLs on the working one.

Use: `Replica(seed=1).start()` in tests (see replica.server), or `python -m replica
--port 8800` in the foreground (port 0 in tests: a free port shared by all addresses).

API (Python, and over HTTP on the control address):
  sites()            [{id, family, host, name, base_url, start_urls, encoding, reports}]   GET /__replica__/sites.json
  truth()            [{rid, site, detail_url, attachment_url, image_urls, title, organ, year, format, markup,
                       carrier (html|pdf|docx|image), published, revision, listed,
                       truth: {"meta": {organ, year, format}, "metrics": {...}}}]           GET /__replica__/truth.json
                     (attachment_url of an html report = a 全真版 copy; removed reports are absent;
                      truth.json also lists non_reports: URLs of non-report items in a 年报 column)
  change(n, seed) / add(n, seed) / remove(n, seed) -> rids       POST /__replica__/mutate?change=&add=&remove=&seed=
  set_zero(site, zero=True)  the column lists nothing            POST /__replica__/set_zero?site=&zero=1
  set_faults(rate, seed, delay)                                  POST /__replica__/fault?rate=&seed=&delay=
  stats(): requests per site and kind (list|detail|attachment|image|api|robots|block|fault|other, and broken:
           connections failed on a site's broken scheme), statuses,
           faults by kind, bodies (report-body URL -> full 200 downloads), not_modified   GET /__replica__/stats.json
  reset_stats()                                                  POST /__replica__/reset_stats
Faults (Replica(fault_rate=0.25, fault_seed=…)): drawn per (seed, host, path+query, attempt number), so a
retry gets a fresh draw and a crawl is reproducible; robots.txt is never faulted. Kinds: see
replica.faults.FAULT_KINDS.
"""
from replica.layout import SITE_LAYOUT, SiteInfo
from replica.server import Replica

__all__ = ["Replica", "SITE_LAYOUT", "SiteInfo"]
