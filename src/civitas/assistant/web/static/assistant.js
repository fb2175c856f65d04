/* The web chat, and the hotline's view of a conversation: a small script over a page
   that works without it. Sent messages and answers are added to the log (a live region,
   so a screen reader reads each answer); an agent's replies arrive by polling while a
   person has the conversation; a location can be shared. */
(function () {
  "use strict";
  var chat = document.querySelector("[data-chat]");
  if (!chat) { return; }
  var log = chat.querySelector("[data-log]");
  var form = chat.querySelector("[data-form]");
  var last = parseInt(chat.getAttribute("data-last") || "0", 10);
  var status = chat.getAttribute("data-status") || "bot";
  var staff = chat.hasAttribute("data-staff");
  var names = {
    resident: chat.getAttribute("data-you"),
    assistant: chat.getAttribute("data-assistant"),
    agent: chat.getAttribute("data-agent")
  };
  var timer = null;

  function add(message) {
    if (message.id && message.id <= last) { return; }
    if (message.id) { last = message.id; }
    var item = document.createElement("div");
    item.className = "msg " + message.author;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = names[message.author] || "";
    var text = document.createElement("p");
    text.innerHTML = message.html; // escaped by the server; only the portal's own links
    item.appendChild(who);
    item.appendChild(text);
    log.appendChild(item);
    item.scrollIntoView({block: "nearest"});
  }

  function options(list) {
    var box = chat.querySelector("[data-options]");
    if (!box) { return; }
    box.textContent = "";
    (list || []).forEach(function (o) {
      var b = document.createElement("button");
      b.type = "submit";
      b.name = "option";
      b.formNoValidate = true;
      b.value = o.value;
      b.className = "secondary";
      b.textContent = o.label;
      box.appendChild(b);
    });
  }

  function show(data) {
    var lastOptions = [];
    (data.messages || []).forEach(function (m) {
      add(m);
      lastOptions = m.author === "assistant" ? m.options : [];
    });
    if (data.messages && data.messages.length) { options(lastOptions); }
    status = data.status || status;
    var waiting = chat.querySelector("[data-waiting]");
    if (waiting) { waiting.hidden = !(status === "waiting" || status === "agent"); }
    schedule();
  }

  function poll() {
    var url = chat.getAttribute("data-poll");
    url += (url.indexOf("?") < 0 ? "?" : "&") + "after=" + last;
    fetch(url, {headers: {"accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {messages: []}; })
      .then(show)
      .catch(schedule);
  }

  function schedule() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (staff ? status !== "closed" : (status === "waiting" || status === "agent")) {
      timer = setTimeout(poll, 4000);
    }
  }

  function send(text, button) {
    var data = new FormData(form);
    data.set("text", text);
    data.set("after", String(last));
    data.set("client_id", String(Date.now()) + Math.random().toString(16).slice(2));
    if (button) { button.disabled = true; }
    var input = form.querySelector("[data-text]");
    return fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      headers: {"accept": "application/json"},
      credentials: "same-origin"
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { throw new Error(body.error || chat.getAttribute("data-error")); }
        return body;
      });
    }).then(function (body) {
      input.value = "";
      show(body);
    }).catch(function (error) {
      add({author: "assistant", html: "", id: 0});
      log.lastChild.querySelector("p").textContent = error.message || chat.getAttribute("data-error");
    }).then(function () {
      if (button) { button.disabled = false; }
      input.focus();
    });
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var submitter = event.submitter;
      var text = submitter && submitter.name === "option" ? submitter.value : form.querySelector("[data-text]").value;
      if (!text.trim()) { return; }
      send(text, submitter);
    });
    var locate = form.querySelector("[data-locate]");
    if (locate && navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (p) {
          send(p.coords.latitude.toFixed(6) + ", " + p.coords.longitude.toFixed(6), locate);
        });
      });
    }
  }
  schedule();
})();
