// Small progressive enhancements; every page works without this file.
//  - [data-cite] buttons copy their citation to the clipboard and say 已复制
//    (a permalink given as a path is completed with this page's address)
//  - the passage named in the URL fragment (#p12) is marked as linked
//  - on narrow screens the facet panel starts collapsed
(function () {
  "use strict";

  function fallbackCopy(text) {
    // navigator.clipboard needs a secure context (https or localhost)
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.appendChild(area);
      area.select();
      try {
        if (document.execCommand("copy")) {
          resolve();
        } else {
          reject(new Error("copy refused"));
        }
      } catch (err) {
        reject(err);
      } finally {
        document.body.removeChild(area);
      }
    });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return fallbackCopy(text);
      });
    }
    return fallbackCopy(text);
  }

  function statusFor(button) {
    var box = button.closest(".cite, .gbt");
    return box ? box.querySelector(".cite-status") : null;
  }

  function say(button, message, ok) {
    var status = statusFor(button);
    if (!status) {
      return;
    }
    status.textContent = message;
    status.classList.toggle("is-error", !ok);
    status.classList.add("is-visible");
    window.clearTimeout(status._timer);
    status._timer = window.setTimeout(function () {
      status.classList.remove("is-visible");
      status.textContent = "";
    }, 2500);
  }

  // A permalink is a path alone when the server has no public address configured
  // (it never trusts the Host header): complete it, wherever the citation has it,
  // with the address this page has.
  function citation(button) {
    var text = button.getAttribute("data-cite");
    var link = button.getAttribute("data-permalink");
    if (link && link.charAt(0) === "/") {
      text = text.split(link).join(new URL(link, window.location.href).href);
    }
    return text;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-cite]");
    if (!button) {
      return;
    }
    var menu = button.closest("details.cite-more");
    copyText(citation(button)).then(
      function () {
        say(button, "已复制", true);
        if (menu) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      },
      function () {
        say(button, "无法访问剪贴板，请在 ▾ 菜单中手动复制", false);
      }
    );
  });

  // close an open citation menu with Escape or a click elsewhere
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var open = document.querySelector("details.cite-more[open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.cite-more[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) {
        menu.open = false;
      }
    });
  });

  function markLinkedPassage() {
    var match = /^#p(\d+)$/.exec(window.location.hash);
    if (!match) {
      return;
    }
    var target = document.getElementById("p" + match[1]);
    if (!target || !target.classList.contains("passage")) {
      return;
    }
    document.querySelectorAll(".passage.is-linked").forEach(function (el) {
      if (el !== target) {
        el.classList.remove("is-linked");
      }
    });
    target.classList.add("is-linked");
  }
  window.addEventListener("hashchange", markLinkedPassage);
  markLinkedPassage();

  // Precedents on the report page: the counts come with the page, the sentences
  // and their sources are fetched when the reader first opens a passage's list.
  function loadPrecedents(details) {
    var body = details.querySelector(".precedent-body[data-fragment]");
    if (!body || body.dataset.state === "loading" || body.dataset.state === "done") {
      return;
    }
    var fallback = body.querySelector("a");
    var href = fallback ? fallback.getAttribute("href") : null;
    body.dataset.state = "loading";
    body.setAttribute("aria-busy", "true");
    var note = document.createElement("p");
    note.className = "precedent-load";
    note.textContent = "正在载入…";
    body.replaceChildren(note);
    fetch(body.dataset.fragment, { headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        body.innerHTML = html; // rendered and escaped by the server, same origin
        body.dataset.state = "done";
      })
      .catch(function () {
        note.textContent = "未能载入这些句子，请稍后再试或";
        if (href) {
          var link = document.createElement("a");
          link.href = href;
          link.textContent = "打开相同表述页";
          note.appendChild(link);
        }
        body.dataset.state = "failed"; // opening the list again retries
      })
      .finally(function () {
        body.removeAttribute("aria-busy");
      });
  }
  document.addEventListener(
    "toggle",
    function (event) {
      var details = event.target;
      if (details.matches && details.matches("details.precedents") && details.open) {
        loadPrecedents(details);
      }
    },
    true
  );

  var panel = document.querySelector("details.facet-panel");
  if (panel && window.matchMedia) {
    var narrow = window.matchMedia("(max-width: 760px)");
    var fit = function () {
      panel.open = !narrow.matches;
    };
    fit();
    if (narrow.addEventListener) {
      narrow.addEventListener("change", fit);
    }
  }
})();
