/*
 * Small helpers shared by geopool's page scripts (console.js, crew.js),
 * loaded before them as window.geopoolDom.
 *
 * element() builds nodes with setAttribute and text nodes only, never
 * innerHTML, so text from citizens or agencies is always shown as text.
 * format() fills Django-style "%(name)s" placeholders, as the translated
 * strings the pages pass to their scripts are written.
 */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) {
      return values[name] === undefined ? "" : String(values[name]);
    });
  }

  // Children that are null or undefined are skipped (optional parts).
  function element(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) {
        return;
      }
      node.appendChild(
        typeof child === "string" ? document.createTextNode(child) : child
      );
    });
    return node;
  }

  window.geopoolDom = { format: format, element: element };
})();
