/* Hotline console. Vanilla JS, no external code. Untrusted text is only ever set with
   textContent / attributes (never innerHTML); links are kept only when they are http(s). */
"use strict";

(function () {
  const state = { csrf: "", name: "", conversation: newConversationId(), ticketId: null, tab: "chat" };

  // --- helpers -----------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  function link(url, text) {
    const href = safeUrl(url);
    if (!href) return document.createTextNode(text || String(url || ""));
    return el("a", { href, target: "_blank", rel: "noopener noreferrer", text: text || href });
  }

  function setStatus(id, text, kind) {
    const node = document.getElementById(id);
    node.textContent = text || "";
    node.className = "status" + (kind ? " " + kind : "");
  }

  function formatTime(iso) {
    const date = new Date(iso);
    return isNaN(date.getTime()) ? "" : date.toLocaleString("vi-VN");
  }

  function newConversationId() {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function api(path, options) {
    const opts = options || {};
    const headers = { Accept: "application/json" };
    if (opts.method && opts.method !== "GET") headers["X-CSRF-Token"] = state.csrf;
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method: opts.method || "GET",
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        credentials: "same-origin",
      });
    } catch (error) {
      return { ok: false, status: 0, data: { error: "Không kết nối được tới máy chủ. Vui lòng thử lại." } };
    }
    if (response.status === 401) {
      window.location.assign("login");
      return { ok: false, status: 401, data: {} };
    }
    let data = {};
    try { data = await response.json(); } catch (error) { data = {}; }
    return { ok: response.ok, status: response.status, data };
  }

  async function copyText(text, statusId) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
      } else {
        const area = el("textarea", { readonly: true, "aria-hidden": "true", class: "offscreen" });
        area.value = text;
        document.body.append(area);
        area.select();
        document.execCommand("copy");
        area.remove();
      }
      setStatus(statusId, "Đã sao chép.", "ok");
    } catch (error) {
      setStatus(statusId, "Không sao chép được; hãy chọn nội dung và nhấn Ctrl+C.", "error");
    }
  }

  // --- tabs --------------------------------------------------------------------------------

  function showTab(name) {
    state.tab = name;
    for (const button of document.querySelectorAll("[data-tab]")) {
      const selected = button.dataset.tab === name;
      button.setAttribute("aria-selected", selected ? "true" : "false");
      document.getElementById("tab-" + button.dataset.tab).hidden = !selected;
    }
    if (name === "handoffs") refreshHandoffs();
  }

  // --- chat with the assistant -------------------------------------------------------------

  function addChatMessage(kind, text, buttons) {
    const log = document.getElementById("chat-log");
    const box = el("div", { class: "msg " + kind });
    if (text) box.append(el("div", { class: "text", text }));
    if (buttons && buttons.length) {
      const row = el("div", { class: "buttons" });
      for (const button of buttons) {
        const title = String(button.title || button.payload || "");
        const payload = String(button.payload || button.title || "");
        row.append(el("button", { type: "button", text: title, onclick: () => sendChat(title, payload) }));
      }
      box.append(row);
    }
    log.append(box);
    log.scrollTop = log.scrollHeight;
  }

  async function sendChat(shown, message) {
    addChatMessage("staff", shown);
    const result = await api("api/chat", {
      method: "POST",
      body: { message, conversation: state.conversation },
    });
    if (!result.ok) {
      addChatMessage("bot error", result.data.error || "Trợ lý chưa trả lời được.");
      return;
    }
    const messages = result.data.messages || [];
    if (!messages.length) addChatMessage("bot", "(Trợ lý không trả lời.)");
    for (const message of messages) {
      addChatMessage("bot", message.text || "", message.buttons || []);
      const image = safeUrl(message.image);
      if (image) {
        const box = el("div", { class: "msg bot" }, link(image, "Xem hình ảnh"));
        document.getElementById("chat-log").append(box);
      }
    }
  }

  // --- knowledge search --------------------------------------------------------------------

  function renderSection(card, section, statusId) {
    const box = el("div", { class: "section", "data-section": section.key });
    const copy = section.gap
      ? section.label + ": " + card.gap_text + " " + card.official_url
      : section.label + ":\n" + section.items.map((item) => "- " + item).join("\n");
    box.append(
      el("h4", {}, section.label,
        el("button", { type: "button", class: "copy", text: "Sao chép", onclick: () => copyText(copy, statusId) })),
    );
    if (section.gap) {
      box.append(el("p", { class: "gap" }, card.gap_text + " ", link(card.official_url, "Mở Cổng DVC")));
    } else {
      const list = el("ul");
      for (const item of section.items) list.append(el("li", { text: item }));
      box.append(list);
    }
    if (section.caveat) box.append(el("p", { class: "caveat", text: "Lưu ý: " + section.caveat }));
    const meta = el("p", { class: "meta" }, "Nguồn: ");
    section.sources.forEach((source, index) => {
      if (index) meta.append("; ");
      meta.append(link(source, safeUrl(source) ? "nguồn " + (index + 1) : source));
    });
    if (!section.sources.length) meta.append("chưa có");
    meta.append(" · Kiểm tra ngày " + section.checked);
    box.append(meta);
    return box;
  }

  function renderCard(card) {
    const node = el("article", { class: "card", "data-service": card.id });
    node.append(
      el("header", {},
        el("div", {},
          el("h3", { text: card.number + ". " + card.name }),
          el("p", { class: "meta" },
            card.procedure_codes.length ? "Mã thủ tục: " + card.procedure_codes.join(", ") + " · " : "",
            link(card.official_url, "Trang chính thức"),
            card.matched.length ? " · Khớp: " + card.matched.join(", ") : "")),
        el("button", { type: "button", class: "copy copy-card", text: "Sao chép cả thẻ",
          onclick: () => copyText(card.copy_text, "kb-status") })),
    );
    for (const section of card.sections) node.append(renderSection(card, section, "kb-status"));
    return node;
  }

  async function searchKnowledge(query) {
    const results = document.getElementById("kb-results");
    setStatus("kb-status", "Đang tìm…");
    const result = await api("api/knowledge?q=" + encodeURIComponent(query));
    results.replaceChildren();
    if (!result.ok) {
      setStatus("kb-status", result.data.error || "Chưa tìm được.", "error");
      return;
    }
    const cards = result.data.cards || [];
    setStatus("kb-status", cards.length ? "Tìm thấy " + cards.length + " thủ tục." : "Không tìm thấy thủ tục phù hợp.");
    for (const card of cards) results.append(renderCard(card));
  }

  // --- dossier look-up ---------------------------------------------------------------------

  const DOSSIER_FIELDS = [
    ["code", "Mã hồ sơ"], ["status_name", "Trạng thái"], ["service_name", "Thủ tục"],
    ["applicant_name", "Người nộp"], ["phone_last4", "4 số cuối điện thoại"],
    ["received_on", "Ngày tiếp nhận"], ["promised_on", "Ngày hẹn trả"], ["agency", "Cơ quan"],
    ["supplement", "Yêu cầu bổ sung"], ["result_delivery", "Hình thức nhận kết quả"], ["note", "Ghi chú"],
    ["updated_at", "Cập nhật lúc"],
  ];

  async function lookupDossier(code) {
    const box = document.getElementById("dossier-result");
    box.replaceChildren();
    setStatus("dossier-status", "Đang tra cứu…");
    const result = await api("api/dossiers/lookup", { method: "POST", body: { code } });
    if (!result.ok || result.data.outcome !== "found") {
      setStatus("dossier-status", result.data.message || result.data.error || "Chưa tra cứu được.", "error");
      return;
    }
    setStatus("dossier-status", "");
    const detail = result.data.detail;
    const list = el("dl", { class: "detail" });
    for (const [key, label] of DOSSIER_FIELDS) {
      const value = detail[key];
      if (value === null || value === undefined || value === "") continue;
      list.append(el("dt", { text: label }), el("dd", { text: String(value) }));
    }
    if (detail.overdue) list.append(el("dt", { text: "Quá hạn" }), el("dd", { class: "error", text: "Có" }));
    box.append(list);
    if (detail.history && detail.history.length) {
      const history = el("ol");
      for (const change of detail.history) {
        history.append(el("li", { text: formatTime(change.changed_at) + ": " + (change.old_status || "—") + " → " + change.new_status }));
      }
      box.append(el("h3", { text: "Lịch sử trạng thái" }), history);
    }
  }

  // --- handoff queue -----------------------------------------------------------------------

  const STATUS_NAMES = { open: "đang chờ", taken: "đang xử lý", closed: "đã trả lại" };
  const ROLE_NAMES = { user: "Người dân", bot: "Trợ lý", staff: "Cán bộ", notice: "Thông báo" };
  const DELIVERY_NAMES = { sent: "đã gửi", stored: "chờ người dân nhận", delivered: "người dân đã nhận", failed: "chưa gửi được", pending: "đang gửi" };

  async function refreshHandoffs() {
    const result = await api("api/handoffs");
    if (!result.ok) return;
    const tickets = result.data.tickets || [];
    const badge = document.getElementById("handoff-badge");
    badge.textContent = String(tickets.length);
    badge.hidden = tickets.length === 0;
    if (state.tab !== "handoffs") return;
    const list = document.getElementById("handoff-list");
    list.replaceChildren();
    document.getElementById("handoff-empty").hidden = tickets.length > 0;
    for (const ticket of tickets) {
      const label = "[" + ticket.channel + " " + ticket.sender + "] " + (STATUS_NAMES[ticket.status] || ticket.status) +
        (ticket.taken_by ? " — " + ticket.taken_by : "") + "\n" + (ticket.preview || "");
      const button = el("button", { type: "button", class: ticket.id === state.ticketId ? "active" : "",
        "data-ticket": ticket.id, text: label, onclick: () => openTicket(ticket.id) });
      list.append(el("li", {}, button));
    }
  }

  async function openTicket(ticketId) {
    state.ticketId = ticketId;
    const result = await api("api/handoffs/" + encodeURIComponent(ticketId));
    const detail = document.getElementById("handoff-detail");
    if (!result.ok) {
      setStatus("handoff-status", result.data.error || "Không mở được.", "error");
      return;
    }
    const ticket = result.data.ticket;
    detail.hidden = false;
    document.getElementById("handoff-title").textContent = "Kênh " + ticket.channel + " · " + ticket.sender;
    document.getElementById("handoff-meta").textContent =
      "Tạo lúc " + formatTime(ticket.created_at) + " · " + (STATUS_NAMES[ticket.status] || ticket.status) +
      (ticket.taken_by ? " · phụ trách: " + ticket.taken_by : "");
    document.getElementById("handoff-take").hidden = ticket.status !== "open";
    const closed = ticket.status === "closed";
    for (const id of ["handoff-reply", "handoff-release"]) document.getElementById(id).disabled = closed;
    const transcript = document.getElementById("handoff-transcript");
    transcript.replaceChildren();
    for (const message of ticket.messages) {
      const who = (ROLE_NAMES[message.role] || message.role) + (message.staff_name ? " " + message.staff_name : "") +
        " · " + formatTime(message.time) + (message.delivery ? " · " + (DELIVERY_NAMES[message.delivery] || message.delivery) : "");
      transcript.append(el("li", { class: message.role }, el("span", { class: "who-line", text: who }), message.text));
    }
    transcript.scrollTop = transcript.scrollHeight;
    refreshHandoffs();
  }

  async function ticketAction(path, body) {
    if (!state.ticketId) return;
    const result = await api("api/handoffs/" + encodeURIComponent(state.ticketId) + "/" + path, { method: "POST", body: body || {} });
    setStatus("handoff-status", result.data.message || result.data.error || "", result.ok ? "ok" : "error");
    await openTicket(state.ticketId);
    return result;
  }

  // --- start -------------------------------------------------------------------------------

  async function start() {
    const me = await api("api/me");
    if (!me.ok) return;
    state.csrf = me.data.csrf_token;
    state.name = me.data.name;
    document.getElementById("staff-name").textContent = me.data.name;

    for (const button of document.querySelectorAll("[data-tab]")) {
      button.addEventListener("click", () => showTab(button.dataset.tab));
    }
    document.getElementById("chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = document.getElementById("chat-input");
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      sendChat(text, text);
    });
    document.getElementById("chat-reset").addEventListener("click", () => {
      state.conversation = newConversationId();
      document.getElementById("chat-log").replaceChildren();
    });
    document.getElementById("kb-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const query = document.getElementById("kb-input").value.trim();
      if (query) searchKnowledge(query);
    });
    document.getElementById("dossier-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const code = document.getElementById("dossier-code").value.trim();
      if (code) lookupDossier(code);
    });
    document.getElementById("handoff-take").addEventListener("click", () => ticketAction("take"));
    document.getElementById("handoff-reply-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const area = document.getElementById("handoff-reply");
      const text = area.value.trim();
      if (!text) return;
      const result = await ticketAction("reply", { text });
      if (result && result.ok) area.value = "";
    });
    document.getElementById("handoff-release").addEventListener("click", () => ticketAction("release"));
    document.getElementById("logout-button").addEventListener("click", async () => {
      await api("logout", { method: "POST" });
      window.location.assign("login");
    });

    refreshHandoffs();
    window.setInterval(() => {
      refreshHandoffs();
      if (state.tab === "handoffs" && state.ticketId) openTicket(state.ticketId);
    }, 5000);
    document.body.dataset.ready = "true";
  }

  start();
})();
