/*
 * The caller's phone number and T.C. kimlik no, checked as the operator
 * types them (templates/console/console.html).
 *
 * The same rules, in the same order, as geopool/contact_checks.py, which
 * the server applies on saving: each check answers the server's error code
 * and its parameters (or null), and the page shows the server's message
 * for that code, which it passes in the page's language. Loaded as
 * window.geopoolContactChecks; under Node as a module, for the test that
 * compares both sides.
 */
(function (root) {
  "use strict";

  var TC_ALLOWED = /^[0-9 ]+$/;
  var PHONE_ALLOWED = /^[0-9 +\-().]+$/;
  // 02–04: landlines by area; 05: mobiles; 08: 0850 and other national numbers.
  var PHONE_FIRST_DIGITS = "23458";

  function error(code, params) {
    return { code: code, params: params || {} };
  }

  function tcKimlikValid(number) {
    if (!/^[0-9]{11}$/.test(number) || number[0] === "0") {
      return false;
    }
    var digits = number.split("").map(Number);
    var odd = digits[0] + digits[2] + digits[4] + digits[6] + digits[8];
    var even = digits[1] + digits[3] + digits[5] + digits[7];
    var tenth = (((7 * odd - even) % 10) + 10) % 10;
    var eleventh = digits.slice(0, 10).reduce(function (a, b) {
      return a + b;
    }, 0) % 10;
    return digits[9] === tenth && digits[10] === eleventh;
  }

  function tcKimlikError(value) {
    var text = (value || "").trim();
    if (!TC_ALLOWED.test(text)) {
      return error("tc_characters");
    }
    var number = text.replace(/ /g, "");
    if (number.length !== 11) {
      return error("tc_length", { count: number.length });
    }
    if (number[0] === "0") {
      return error("tc_leading_zero");
    }
    if (!tcKimlikValid(number)) {
      return error("tc_checksum");
    }
    return null;
  }

  function phoneError(value) {
    var text = (value || "").trim();
    if (!PHONE_ALLOWED.test(text)) {
      return error("phone_characters");
    }
    var digits = text.replace(/\D/g, "");
    var national;
    // +90 is the country code; so is a leading 90 on a number two digits long.
    if (digits.indexOf("90") === 0 && (text[0] === "+" || digits.length === 12)) {
      national = "0" + digits.slice(2);
    } else if (digits[0] !== "0") {
      national = "0" + digits;
    } else {
      national = digits;
    }
    if (national.length !== 11) {
      return error("phone_length", { count: digits.length });
    }
    if (PHONE_FIRST_DIGITS.indexOf(national[1]) === -1) {
      return error("phone_prefix", { digit: national[1] });
    }
    return null;
  }

  var checks = { phoneError: phoneError, tcKimlikError: tcKimlikError };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = checks;
  } else {
    root.geopoolContactChecks = checks;
  }
})(this);
