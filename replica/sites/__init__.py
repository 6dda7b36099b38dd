"""One module per CMS family; `SITE_CLASSES` maps each site id of the layout to its class."""
from replica.sites.boda import Boda
from replica.sites.gd import Gkmlpt, Nfcms
from replica.sites.generic import Generic, Lying
from replica.sites.hanweb import Hanweb, HanwebXxgk
from replica.sites.hostile import Hostile412, Hostile429, Hostile521, HostileRobots, HostileSite
from replica.sites.trs import Fujian, GbkSite, Trs0, Trs1

SITE_CLASSES = {
    "trs0": Trs0, "trs1": Trs1, "fujian": Fujian, "hanweb": Hanweb, "hanweb-xxgk": HanwebXxgk, "gd": Nfcms,
    "gkmlpt": Gkmlpt, "boda": Boda, "generic": Generic, "gbk": GbkSite, "lying": Lying,
    "hostile-412": Hostile412, "hostile-521": Hostile521, "hostile-429": Hostile429, "hostile-robots": HostileRobots,
    "hostile-tls": HostileSite, "hostile-nohttp": HostileSite,  # their broken scheme: replica.tls
}
