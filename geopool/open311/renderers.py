"""JSON and XML renderers with the element names of GeoReport v2.

The XML renderer of ``djangorestframework-xml`` names every element
``root`` / ``list-item``; the spec wants ``<services><service>``,
``<service_requests><request>``, ``<discovery>`` with ``<endpoints><endpoint>``
and ``<formats><format>``, and ``<errors><error>`` for every failure. A view
names its document with ``xml_root_tag`` / ``xml_item_tag``; an error response
(DRF marks it ``response.exception``) always renders as ``<errors>``.
"""

import re

from rest_framework.renderers import JSONRenderer
from rest_framework_xml.renderers import XMLRenderer

ERROR_ROOT_TAG = "errors"
ERROR_ITEM_TAG = "error"

# XML 1.0 cannot carry these at all; a stray one in a stored address must
# not turn a search into a 500.
_XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Open311JSONRenderer(JSONRenderer):
    # The spec's examples send the charset explicitly.
    charset = "utf-8"


class Open311XMLRenderer(XMLRenderer):
    # The media type the discovery document lists for XML.
    media_type = "text/xml"
    format = "xml"
    # Lists nested inside a document, by the key that holds them.
    nested_item_tags = {"endpoints": "endpoint", "formats": "format"}

    def render(self, data, accepted_media_type=None, renderer_context=None):
        context = renderer_context or {}
        response = context.get("response")
        if getattr(response, "exception", False):
            self.root_tag_name, self.item_tag_name = ERROR_ROOT_TAG, ERROR_ITEM_TAG
        else:
            view = context.get("view")
            self.root_tag_name = getattr(view, "xml_root_tag", self.root_tag_name)
            self.item_tag_name = getattr(view, "xml_item_tag", self.item_tag_name)
        return super().render(data, accepted_media_type, renderer_context)

    def _to_xml(self, xml, data):
        if isinstance(data, bool):
            # Spec spelling; Python's would be "True" / "False".
            xml.characters("true" if data else "false")
        elif isinstance(data, dict):
            for key, value in data.items():
                xml.startElement(key, {})
                if isinstance(value, list | tuple):
                    tag = self.nested_item_tags.get(key, self.item_tag_name)
                    for item in value:
                        xml.startElement(tag, {})
                        self._to_xml(xml, item)
                        xml.endElement(tag)
                else:
                    self._to_xml(xml, value)
                xml.endElement(key)
        elif isinstance(data, str):
            xml.characters(_XML_FORBIDDEN.sub("", data))
        else:
            super()._to_xml(xml, data)
