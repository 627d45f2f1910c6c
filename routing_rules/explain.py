"""One-sentence explanations of a decision, in Turkish and in English.

The sentences are generic; every name in them (category, district, body)
comes from the jurisdiction's data.
"""

NOTICE_TR = "Acil durum: hemen {phone} numaralı hattı arayın."
NOTICE_EN = "Emergency: call {phone} now."
# Open311 clients may read either language: the API gives both.
EMERGENCY_NOTICE = f"{NOTICE_TR} {NOTICE_EN}"


def page_language():
    """ "en" when the page is in English, else "tr" (the default)."""
    from django.utils import translation

    return "en" if (translation.get_language() or "").startswith("en") else "tr"


def emergency_notice(category, language=None):
    """The notice telling the caller which line to call; "" if not an emergency.

    ``language`` "tr" or "en" gives that language only (the pages); without
    it both, for the API.
    """
    if not (category.is_emergency and category.emergency_phone):
        return ""
    text = {"tr": NOTICE_TR, "en": NOTICE_EN}.get(language, EMERGENCY_NOTICE)
    return text.format(phone=category.emergency_phone)


def metres_tr(value):
    """Format metres the Turkish way: ``1.240 m``."""
    return f"{round(value):,} m".replace(",", ".")


def metres_en(value):
    return f"{round(value):,} m"


def where_phrases(place):
    """Return (tr, en) phrases for where the point lies relative to districts."""
    kind = place.kind
    if kind == "inside":
        return (
            f"{place.district_name} ilçe sınırı içinde",
            f"inside the {place.district_name} district boundary",
        )
    if kind == "edge":
        names = " ile ".join(name for name, _ in place.covering)
        names_en = " and ".join(name for name, _ in place.covering)
        return (
            f"{names} ilçelerinin ortak sınırında (en küçük ilçe kodu: "
            f"{place.district_name})",
            f"on the shared boundary of {names_en} (lowest district code: "
            f"{place.district_name})",
        )
    if kind == "snapped":
        return (
            f"ilçe sınırı dışında, en yakın ilçe {place.district_name} "
            f"{metres_tr(place.distance_m)} uzakta (tolerans "
            f"{metres_tr(place.tolerance_m)})",
            f"outside any district, {metres_en(place.distance_m)} from "
            f"{place.district_name} (tolerance {metres_en(place.tolerance_m)})",
        )
    if kind == "outside":
        return (
            f"hiçbir ilçe sınırı içinde değil (en yakın ilçe {place.nearest_name}, "
            f"{metres_tr(place.distance_m)})",
            f"not inside any district (nearest: {place.nearest_name}, "
            f"{metres_en(place.distance_m)})",
        )
    return ("konum bilinmiyor", "location unknown")


def feature_phrases(feature_name, term, distance_m):
    """(tr, en) phrases for the feature that decided: inside it, or how far."""
    if term["op"] == "inside" and distance_m <= 0:
        return (f"{feature_name} içinde", f"inside {feature_name}")
    if term["op"] == "inside":
        return (
            f"{feature_name} sınırına {metres_tr(distance_m)} (pay "
            f"{metres_tr(term.get('buffer_m') or 0)})",
            f"{metres_en(distance_m)} outside {feature_name} (margin "
            f"{metres_en(term.get('buffer_m') or 0)})",
        )
    return (
        f"{feature_name} {metres_tr(distance_m)} uzakta",
        f"{metres_en(distance_m)} from {feature_name}",
    )


def sentence(category, where, owner_label, rule_code, triage_reason=None):
    """Assemble the explanation pair."""
    where_tr, where_en = where
    name_en = category.name_en or category.name
    if triage_reason:
        reason_tr, reason_en = triage_reason
        return (
            f"{category.name}, {where_tr}: {reason_tr}; havuz koordinatörü "
            f"({owner_label}) karar verecek",
            f"{name_en}, {where_en}: {reason_en}; the pool coordinator "
            f"({owner_label}) will decide",
        )
    return (
        f"{category.name}, {where_tr}, kural {rule_code}: {owner_label}",
        f"{name_en}, {where_en}, rule {rule_code}: {owner_label}",
    )
