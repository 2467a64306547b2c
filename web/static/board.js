// Tocsin live board: keeps the server-rendered board current from the
// /board/events stream. Plain JavaScript, no dependencies, no inline code
// (the page's Content-Security-Policy forbids it).
(function () {
  "use strict";

  var board = document.getElementById("board");
  var template = document.getElementById("card-template");
  if (!board || !template || !window.EventSource) {
    return;
  }
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  var filterLevel = board.getAttribute("data-level") || "";
  var filterCategory = board.getAttribute("data-category") || "";
  var announcer = document.getElementById("board-announcer");
  var seen = {}; // number → newest version applied, also for removed cards
  var source = null;
  var syncing = false;
  var queue = [];

  function text(name, data) {
    var s = board.getAttribute("data-msg-" + name) || "";
    return s.replace(/\{(\w+)\}/g, function (_, k) {
      return data[k] === undefined ? "" : String(data[k]);
    });
  }

  function announce(message) {
    if (!announcer || !message) {
      return;
    }
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = message; }, 50);
  }

  function age(created) {
    var ms = Date.now() - Date.parse(created);
    if (!(ms >= 0)) {
      ms = 0;
    }
    var minutes = Math.floor(ms / 60000);
    if (minutes < 60) {
      return minutes + board.getAttribute("data-unit-m");
    }
    var hours = Math.floor(minutes / 60);
    if (hours < 24) {
      return hours + board.getAttribute("data-unit-h");
    }
    return Math.floor(hours / 24) + board.getAttribute("data-unit-d");
  }

  function refreshAges() {
    var cards = board.querySelectorAll(".card");
    for (var i = 0; i < cards.length; i++) {
      var el = cards[i].querySelector(".card-age");
      if (el) {
        el.textContent = age(cards[i].getAttribute("data-created"));
      }
    }
  }

  function column(stage) {
    return board.querySelector('.column[data-stage="' + stage + '"]');
  }

  function findCard(number) {
    var cards = board.querySelectorAll(".card");
    for (var i = 0; i < cards.length; i++) {
      if (cards[i].getAttribute("data-number") === number) {
        return cards[i];
      }
    }
    return null;
  }

  function updateCounts() {
    var columns = board.querySelectorAll(".column");
    for (var i = 0; i < columns.length; i++) {
      var n = columns[i].querySelectorAll(".card").length;
      columns[i].querySelector(".count").textContent = String(n);
      var empty = columns[i].querySelector(".column-empty");
      if (empty) {
        empty.hidden = n > 0;
      }
    }
  }

  function stageName(stage) {
    var col = column(stage);
    var name = col && col.querySelector(".column-name");
    return name ? name.textContent : stage;
  }

  // render builds a card from the page's <template>, the same markup the
  // server draws; textContent keeps every value inert.
  function render(d) {
    var card = template.content.firstElementChild.cloneNode(true);
    card.className = "card level-" + d.level;
    card.setAttribute("data-number", d.number);
    card.setAttribute("data-version", String(d.version));
    card.setAttribute("data-created", d.created_at);
    card.setAttribute("data-level", d.level);
    card.setAttribute("data-category", d.category || "");
    card.setAttribute("data-stage", d.stage);
    card.setAttribute("data-drill", d.drill ? "true" : "false");
    var link = card.querySelector(".card-number");
    link.textContent = d.number;
    link.setAttribute("href", "/incidents/" + encodeURIComponent(d.number));
    var badge = card.querySelector(".badge-level");
    badge.className = "badge badge-level level-" + d.level;
    badge.textContent = zh ? d.level_name_zh : d.level_name_en;
    card.querySelector(".badge-drill").hidden = !d.drill;
    var restricted = card.querySelector(".badge-restricted");
    if (restricted) {
      restricted.hidden = !d.restricted;
    }
    card.querySelector(".card-title").textContent = d.title;
    card.querySelector(".card-category").textContent = zh ? d.category_name_zh : d.category_name_en;
    card.querySelector(".card-reporter").textContent = d.reporter;
    var when = card.querySelector(".card-age");
    when.setAttribute("datetime", d.created_at);
    when.removeAttribute("title");
    when.textContent = age(d.created_at);
    var occ = card.querySelector(".card-occurrences");
    occ.hidden = !(d.occurrences > 1);
    occ.querySelector(".n").textContent = String(d.occurrences);
    var tasks = card.querySelector(".card-tasks");
    if (tasks) {
      tasks.hidden = !(d.tasks_total > 0);
      tasks.querySelector(".n").textContent = String(d.tasks_finished || 0) + "/" + String(d.tasks_total || 0);
    }
    // The Ack form carries the session's CSRF token from the template; it
    // posts to the incident and comes back to the board.
    var ack = card.querySelector(".card-ack-form");
    if (ack) {
      ack.setAttribute("action", "/incidents/" + encodeURIComponent(d.number) + "/ack");
      ack.hidden = !!d.acked;
    }
    var acked = card.querySelector(".badge-acked");
    if (acked) {
      acked.hidden = !d.acked;
    }
    var failed = card.querySelector(".badge-failed");
    if (failed) {
      failed.hidden = !d.delivery_failed;
      if (failed.tagName === "A") {
        failed.setAttribute("href", "/outbox?incident=" + encodeURIComponent(d.number));
      }
    }
    return card;
  }

  // place inserts card into list, newest first, as the server orders them.
  function place(list, card) {
    var created = Date.parse(card.getAttribute("data-created"));
    var items = list.children;
    for (var i = 0; i < items.length; i++) {
      if (Date.parse(items[i].getAttribute("data-created")) < created) {
        list.insertBefore(card, items[i]);
        return;
      }
    }
    list.appendChild(card);
  }

  function matches(d) {
    return d.open && column(d.stage) &&
      (!filterLevel || d.level === filterLevel) &&
      (!filterCategory || d.category === filterCategory);
  }

  function apply(d) {
    if (!d || !d.number) {
      return;
    }
    var existing = findCard(d.number);
    var known = seen[d.number] || (existing ? Number(existing.getAttribute("data-version")) : 0);
    if (d.version <= known) {
      return; // stale or repeated
    }
    seen[d.number] = d.version;
    if (!matches(d)) {
      if (existing) {
        existing.parentNode.removeChild(existing);
        updateCounts();
        announce(text("removed", { number: d.number }));
      }
      return;
    }
    var card = render(d);
    var list = column(d.stage).querySelector(".cards");
    var moved = existing && existing.getAttribute("data-stage") !== d.stage;
    if (existing) {
      existing.parentNode.removeChild(existing);
    }
    place(list, card);
    updateCounts();
    if (!existing) {
      card.classList.add("is-new");
      announce(text("new", { number: d.number, stage: stageName(d.stage), title: d.title }));
    } else if (moved) {
      announce(text("moved", { number: d.number, stage: stageName(d.stage) }));
    } else {
      announce(text("updated", { number: d.number }));
    }
  }

  // resync replaces the columns with the server's current ones, then
  // replays the events that arrived meanwhile. It runs on every (re)open of
  // the stream, so nothing missed while disconnected stays missing.
  function resync() {
    syncing = true;
    var url = "/board?partial=1";
    if (filterLevel) {
      url += "&level=" + encodeURIComponent(filterLevel);
    }
    if (filterCategory) {
      url += "&category=" + encodeURIComponent(filterCategory);
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (res) {
        if (res.redirected && res.url.indexOf("/login") >= 0) {
          window.location.reload(); // signed out: show the sign-in page
          throw new Error("signed out");
        }
        if (!res.ok) {
          throw new Error("board refresh: " + res.status);
        }
        return res.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("columns");
        var current = document.getElementById("columns");
        if (fresh && current) {
          current.parentNode.replaceChild(document.importNode(fresh, true), current);
          var cards = board.querySelectorAll(".card");
          for (var i = 0; i < cards.length; i++) {
            var n = cards[i].getAttribute("data-number");
            seen[n] = Math.max(seen[n] || 0, Number(cards[i].getAttribute("data-version")));
          }
        }
      })
      .catch(function () { /* the next reconnect tries again */ })
      .then(function () {
        syncing = false;
        var pending = queue;
        queue = [];
        for (var i = 0; i < pending.length; i++) {
          apply(pending[i]);
        }
        updateCounts();
        refreshAges();
      });
  }

  function connect() {
    source = new EventSource("/board/events");
    source.addEventListener("open", function () {
      board.setAttribute("data-live", "on");
      resync();
    });
    source.addEventListener("incident", function (e) {
      var d;
      try {
        d = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      if (syncing) {
        queue.push(d);
      } else {
        apply(d);
      }
    });
    // An incident restricted away from this viewer: drop its card.
    source.addEventListener("gone", function (e) {
      var d;
      try {
        d = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      var gone = { number: d.number, version: d.version, open: false };
      if (syncing) {
        queue.push(gone);
      } else {
        apply(gone);
      }
    });
    source.addEventListener("error", function () {
      board.setAttribute("data-live", "off");
      // The browser retries by itself after a dropped stream; it gives up
      // only when the answer was not a stream (e.g. a sign-in redirect).
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        window.setTimeout(function () {
          resync();
          connect();
        }, 5000);
      }
    });
  }

  window.setInterval(refreshAges, 30000);
  connect();
})();
