/* zeropark dashboard: sign-in. The access token (a JWT from POST /api/v1/auth/token)
 * lives in sessionStorage, so closing the tab signs out; every API call sends it as
 * "Authorization: Bearer …". A 401 answer shows the login form again.
 *
 * For browser tests: the form is [data-panel="login"] (#login-user, #login-password,
 * #login-submit); it gets data-ready="true" when shown.
 */
(function () {
  "use strict";

  const KEY = "zeropark.token";
  let onSignedIn = null;

  function token() {
    return window.sessionStorage.getItem(KEY);
  }

  function header() {
    const t = token();
    return t ? { Authorization: `Bearer ${t}` } : {};
  }

  function show(message) {
    const login = document.getElementById("login");
    document.getElementById("app").hidden = true;
    login.hidden = false;
    login.dataset.ready = "true";
    const err = document.getElementById("login-error");
    err.hidden = !message;
    err.textContent = message || "";
    document.getElementById("login-user").focus();
  }

  function hide() {
    const login = document.getElementById("login");
    login.hidden = true;
    login.dataset.ready = "false";
    document.getElementById("app").hidden = false;
  }

  async function signIn(username, password) {
    const response = await fetch("/api/v1/auth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ username, password }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || `HTTP ${response.status}`);
    window.sessionStorage.setItem(KEY, body.access_token);
    return body;
  }

  function signOut() {
    window.sessionStorage.removeItem(KEY);
    show("");
  }

  /** Ask for credentials; `callback` runs after a successful sign-in. */
  function require(callback, message) {
    if (callback) onSignedIn = callback;
    show(message || "");
  }

  document.getElementById("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const t = window.zeroparkI18n.translate;
    const lang = (window.zeropark && window.zeropark.lang) || window.zeroparkI18n.initialLang();
    try {
      await signIn(document.getElementById("login-user").value, document.getElementById("login-password").value);
    } catch (err) {
      show(t(lang, "login_failed", { detail: err.message }));
      return;
    }
    document.getElementById("login-password").value = "";
    hide();
    if (onSignedIn) onSignedIn();
  });

  window.zeroparkAuth = { token, header, signIn, signOut, require, hide };
})();
