"""API keys for other agencies' systems talking to the Open311 API.

A key belongs to a body and a channel. Only a SHA-256 hash of the secret is
stored (the secret is 32 random bytes, so a slow hash adds nothing); the
prefix finds the row and is safe to show. A revoked key stops working at once.

Every call reads the key's row (one indexed query without the ORM, run
prepared: ``geopool.prepared``); the key with its body, as the views use
it, is kept per process and read again only when that row names another
key, body, channel or name.
"""

import copy
import hashlib
import hmac
import secrets
import threading
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geopool import prepared
from geopool.models.bodies import Body

KEY_PREFIX_LENGTH = 8
TOUCH_EVERY = timedelta(minutes=1)

_CHECK_COLUMNS = "id, secret_hash, revoked_at, last_used_at, body_id, channel, name"
_CHECK = f"SELECT {_CHECK_COLUMNS} FROM geopool_apikey WHERE prefix = $1"
# The same, with the routing state's version (routing_rules.context): a
# keyed call that routes then needs no second round trip to learn it.
_CHECK_WITH_STATE = (
    f"SELECT {_CHECK_COLUMNS}, (SELECT version FROM routing_rules_state"
    " WHERE id = 1) FROM geopool_apikey WHERE prefix = $1"
)
# prefix -> ApiKey (with its body) last authenticated in this process
_known = {}
_known_lock = threading.Lock()
KNOWN_KEYS = 1000


def hash_secret(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(models.Model):
    name = models.CharField(max_length=200, verbose_name=_("Name"))
    body = models.ForeignKey(
        Body, on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("Body")
    )
    channel = models.CharField(max_length=20, default="api", verbose_name=_("Channel"))
    prefix = models.CharField(
        max_length=KEY_PREFIX_LENGTH, unique=True, verbose_name=_("Prefix")
    )
    secret_hash = models.CharField(max_length=64, verbose_name=_("Secret hash"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("Created at"))
    revoked_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("Revoked at")
    )
    last_used_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("Last used at")
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @classmethod
    def issue(cls, name, body, channel="api"):
        """Create a key; return ``(api_key, plaintext)``, shown only once."""
        prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
        secret = secrets.token_urlsafe(32)
        key = cls.objects.create(
            name=name,
            body=body,
            channel=channel,
            prefix=prefix,
            secret_hash=hash_secret(secret),
        )
        return key, f"gp_{prefix}_{secret}"

    # The columns ``checked`` takes, in order: a statement that checks a key
    # on its way (``geopool.services.nearby``) reads them too.
    CHECK_COLUMNS = _CHECK_COLUMNS
    # The routing state's version read with the key by ``authenticate``
    # (None when not read): ``routing_rules.context.live_context(token)``.
    routing_state = None

    @staticmethod
    def parse(plaintext):
        """``(prefix, secret)`` of a key as presented (``gp_…``), or None."""
        try:
            marker, prefix, secret = plaintext.split("_", 2)
        except (AttributeError, ValueError):
            return None
        return (prefix, secret) if marker == "gp" else None

    @classmethod
    def authenticate(cls, plaintext):
        """Return the active key for ``plaintext``, or None."""
        presented = cls.parse(plaintext)
        if presented is None:
            return None
        rows = prepared.fetch(_CHECK_WITH_STATE, "text", [presented[0]])
        if not rows:
            return None
        key = cls.checked(presented, rows[0][:-1])
        if key is not None:
            key.routing_state = rows[0][-1]
        return key

    @classmethod
    def checked(cls, presented, row):
        """The active key for ``presented`` given its row (None: no such key).

        ``row``: the key's ``CHECK_COLUMNS``, read for the prefix presented.
        """
        if row is None:
            return None
        key_id, secret_hash, revoked_at, last_used_at, *identity = row
        if revoked_at is not None:
            return None
        prefix, secret = presented
        if not hmac.compare_digest(secret_hash, hash_secret(secret)):
            return None
        with _known_lock:
            known = _known.get(prefix)
        same = known is not None and (
            known.pk,
            known.secret_hash,
            known.body_id,
            known.channel,
            known.name,
        ) == (key_id, secret_hash, *identity)
        if not same:
            known = cls.objects.select_related("body").get(pk=key_id)
            with _known_lock:
                if len(_known) >= KNOWN_KEYS:
                    _known.clear()
                _known[prefix] = known
        # Each caller gets its own copy, with the use as stored now.
        key = copy.copy(known)
        key.last_used_at = last_used_at
        return key

    def touch(self, now=None):
        """Record that the key was used, at most once a minute.

        Every client of a key would otherwise queue on this one row for each
        call it makes.
        """
        now = now or timezone.now()
        if self.last_used_at is None or now - self.last_used_at > TOUCH_EVERY:
            ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    def revoke(self):
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
