"""Apply a validated jurisdiction pack to the database (upsert by code)."""

from django.forms.models import model_to_dict

from geopool.models import Body, Category, Department, Jurisdiction
from geopool.services.events import event_record
from routing_rules.services.rule_sets import rule_set_load_from_pack


def _int_or_none(text):
    return int(text) if text else None


def _upsert(model, rows, key, values_of, summary_key, summary, lookup=None):
    """Create or update one row per pack row; deactivate rows the pack dropped."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "deactivated": 0}
    seen = set()
    for row in rows:
        values = values_of(row)
        values["is_active"] = True
        obj = model.objects.filter(**{key: row["code"]}).first()
        if obj is None:
            obj = model.objects.create(**{key: row["code"]}, **values)
            counts["created"] += 1
            event_record("pack.create", obj, actor_label="load_jurisdiction")
        else:
            before = model_to_dict(obj, fields=list(values))
            changed = {
                k: v for k, v in values.items() if before.get(k) != getattr(v, "pk", v)
            }
            if changed:
                for name, value in changed.items():
                    setattr(obj, name, value)
                obj.save()
                counts["updated"] += 1
                event_record(
                    "pack.update",
                    obj,
                    actor_label="load_jurisdiction",
                    before={k: before[k] for k in changed},
                    after={k: str(v) for k, v in changed.items()},
                )
            else:
                counts["unchanged"] += 1
        seen.add(row["code"])
    dropped = model.objects.filter(is_active=True).exclude(**{f"{key}__in": seen})
    for obj in dropped:
        obj.is_active = False
        obj.save(update_fields=["is_active"])
        counts["deactivated"] += 1
        event_record("pack.deactivate", obj, actor_label="load_jurisdiction")
    summary[summary_key] = counts


def apply_pack(pack):
    from geopool.roles import roles_ensure

    summary = {}
    # The staff roles and their permissions exist wherever a pack is loaded.
    roles_ensure()
    Jurisdiction.objects.update_or_create(
        code=pack.code,
        defaults={
            "name": pack.meta["name"],
            "pack_version": pack.meta["version"],
            "settings": {
                **pack.settings,
                "population_source": pack.meta.get("population_source", ""),
                "layers": pack.meta["layers"],
                "samples": pack.meta.get("samples", {}),
                "geocoding": pack.meta.get("geocoding", {}),
                "pack_path": str(pack.path),
            },
        },
    )

    _upsert(
        Body,
        pack.bodies,
        "code",
        lambda r: {
            "kind": r["kind"],
            "name": r["name"],
            "short_name": r.get("short_name", ""),
            "district_code": r.get("district_code", ""),
            "phone": r.get("phone", ""),
            "population": _int_or_none(r.get("population")),
            "population_year": _int_or_none(r.get("population_year")),
        },
        "bodies",
        summary,
    )
    bodies = {b.code: b for b in Body.objects.all()}
    _upsert(
        Department,
        pack.departments,
        "code",
        lambda r: {"body": bodies[r["body"]], "name": r["name"]},
        "departments",
        summary,
    )
    _upsert(
        Category,
        pack.categories,
        "code",
        lambda r: {
            "group": r["group"],
            "group_en": r.get("group_en", ""),
            "name": r["name"],
            "name_en": r.get("name_en", ""),
            "keywords": r.get("keywords", ""),
            "is_emergency": r.get("emergency") == "yes",
            "emergency_phone": r.get("emergency_phone", ""),
            "sort_order": r["_line"],
        },
        "categories",
        summary,
    )
    summary["service_levels"] = _service_levels_apply(pack)
    summary["layers"] = _layers_define(pack.meta["layers"])
    summary["rule_set"] = rule_set_load_from_pack(pack)
    return summary


def _service_levels_apply(pack):
    """SLA targets, duplicate radius and retention of every category."""
    from geopool.models import Priority, SlaTarget
    from geopool.worktime import parse_duration

    rows = {row["category"]: row for row in pack.service_levels}
    default = rows.get("*")
    count = 0
    for category in Category.objects.filter(is_active=True):
        row = rows.get(category.code, default)
        if row is None:
            continue
        category.duplicate_radius_m = int(row.get("duplicate_radius_m") or 0)
        category.duplicate_window_hours = int(row.get("duplicate_window_hours") or 72)
        category.retention_days = _int_or_none(row.get("retention_days"))
        category.save(
            update_fields=[
                "duplicate_radius_m",
                "duplicate_window_hours",
                "retention_days",
            ]
        )
        for priority in (Priority.NORMAL, Priority.URGENT):
            SlaTarget.objects.update_or_create(
                category=category,
                priority=priority,
                defaults={"working_minutes": parse_duration(row[priority])},
            )
        count += 1
    return {"categories": count}


def _layers_define(specs):
    """Create or update the layer definitions; their data comes by import."""
    from boundaries.models import Layer

    counts = {"created": 0, "updated": 0, "unchanged": 0, "deactivated": 0}
    for spec in specs:
        values = {
            "title": spec["title"],
            "geometry_kind": spec["geometry_kind"],
            "is_boundary": spec.get("boundary", False),
            "is_illustrative": spec.get("illustrative", False),
            "attribute_names": spec.get("attributes", []),
            "attribution": spec.get("attribution", ""),
        }
        layer = Layer.objects.filter(code=spec["code"]).first()
        if layer is None:
            mapping = {
                "name": spec.get("name_field", ""),
                "code": spec.get("code_field", ""),
                "attributes": spec.get("fields", {}),
            }
            layer = Layer.objects.create(
                code=spec["code"], field_mapping=mapping, **values
            )
            counts["created"] += 1
            event_record("pack.create", layer, actor_label="load_jurisdiction")
            continue
        changed = {k: v for k, v in values.items() if getattr(layer, k) != v}
        if not changed:
            counts["unchanged"] += 1
            continue
        before = {k: getattr(layer, k) for k in changed}
        for name, value in changed.items():
            setattr(layer, name, value)
        layer.save()
        counts["updated"] += 1
        event_record(
            "pack.update",
            layer,
            actor_label="load_jurisdiction",
            before=before,
            after=changed,
        )
    return counts
