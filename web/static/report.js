// Tocsin report form: tells the server the browser's time zone, so that the
// "when it happened" time (a datetime-local, which carries no zone) is read
// as the reporter meant it. Without scripts the server's zone applies.
(function () {
  "use strict";

  var form = document.querySelector('form[action="/report"]');
  if (!form) {
    return;
  }
  var tz = form.querySelector('input[name="tz_offset"]');
  var when = form.querySelector('input[name="occurred_at"]');
  if (!tz) {
    return;
  }

  // offsetAt is the zone's offset east of UTC in minutes at the entered
  // time (daylight saving may differ from today's), or now.
  function offsetAt() {
    var d = when && when.value ? new Date(when.value) : new Date();
    if (isNaN(d.getTime())) {
      d = new Date();
    }
    return String(-d.getTimezoneOffset());
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  tz.value = offsetAt();
  if (when) {
    var now = new Date();
    when.max = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()) +
      "T" + pad(now.getHours()) + ":" + pad(now.getMinutes());
    when.addEventListener("change", function () { tz.value = offsetAt(); });
  }
  form.addEventListener("submit", function () { tz.value = offsetAt(); });
})();
