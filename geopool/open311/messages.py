"""Texts of the Open311 error descriptions.

Kept in one place so the tests check the same words the clients read. Every
message about an input names the field (``lat``, ``service_code``, ...), so a
client developer knows what to fix without reading our code. Placeholders
are filled with ``str.format``.
"""

API_KEY_MISSING = (
    "api_key is required to post a request; ask the pool coordinator for a key"
)
API_KEY_INVALID = (
    "api_key is not valid: it is unknown, mistyped or revoked; ask the pool "
    "coordinator for a new key"
)

SERVICE_CODE_MISSING = "service_code is required; GET services.json lists the codes"
SERVICE_CODE_UNKNOWN = (
    "service_code={code!r} is unknown; GET services.json lists the codes"
)

COORDINATE_REQUIRED = "{field} is required (decimal degrees, WGS 84)"
NULL_ISLAND = (
    "lat=0, long=0 is not a real location (a device without a position fix "
    "sends it); send the point's lat and long in WGS 84 decimal degrees"
)

TOO_LONG = "{field} is longer than {limit} characters"
MEDIA_URL_INVALID = (
    "media_url={value!r} is not accepted: send an https:// link with a host "
    "name (and a port from 1 to 65535, if any) and no user name or password, "
    "or upload the photo itself as media (multipart/form-data)"
)
MEDIA_NOT_FILE = (
    "media must be a photo file sent as multipart/form-data, not a text "
    "field; send a link as media_url"
)
PHONE_INVALID = "phone={value!r} is not a Turkish phone number. {reason}"
EMAIL_INVALID = "email is not a valid e-mail address"

DATE_INVALID = (
    "{field}={value!r} is not an ISO 8601 date-time; write e.g. "
    "2026-12-03T13:45:00+03:00 or 2026-12-03"
)
DATE_RANGE = "{field}={value!r} is out of range; use a year from 1900 to 2999"
DATE_ORDER = "start_date={start!r} is after end_date={end!r}"
STATUS_INVALID = "status={value!r} is not valid; use open, closed or open,closed"
REQUEST_ID_INVALID = (
    "service_request_id={value!r} is not a tracking code; codes look like K7M-4TXR"
)
TOO_MANY_IDS = "service_request_id lists {count} codes; at most {limit} at once"
REPEATED = "{name} is given {count} times; give it once"
PAGE_INVALID = "page={value!r} is not valid; use a whole number 1 to {limit}"
PAGE_SIZE_INVALID = "page_size={value!r} is not valid; use a whole number 1 to {limit}"

REQUEST_NOT_FOUND = "no request has service_request_id {code!r}"
ENDPOINT_NOT_FOUND = (
    "no Open311 endpoint at {path}; the endpoints are discovery, v2/services, "
    "v2/requests and v2/requests/<service_request_id>, each ending in .json or .xml"
)
METHOD_NOT_ALLOWED = "{method} is not allowed here; use {allowed}"
NOT_CONFIGURED = "the pool is not ready to take requests: {reason}"

UNSUPPORTED_MEDIA = (
    "the request body is {media_type}; it must be form-encoded "
    "(application/x-www-form-urlencoded or multipart/form-data), as GeoReport "
    "v2 specifies"
)
