// Sign-in (issue 6): the portal user's login and password unlock their keystore on the operator's
// node (POST /api/v1/session); the session then signs for them. Errors stay in the form.
import { send, setSession, h, section, t, formError, ApiFailure, kstTime } from "../lib.js";

const LOGIN = /^[a-z0-9_-]{1,32}$/;

// API error codes this form explains itself (the rest fall back to formError's lookup).
const ERRORS = {
  bad_credentials: { key: "signin.error.bad_credentials" },
  locked_out: { key: "signin.error.locked_out" },
  portal_disabled: { key: "signin.error.portal_disabled" },
  invalid_request: { key: "signin.error.invalid_login" },
};

function field(name, key, attrs) {
  return h("label", {}, h("span", { "data-i18n": key }), h("input", { name, ...attrs }));
}

/** The lockout message with the time the login opens again (KST). */
function lockedUntil(form, ms) {
  formError(form, "signin.error.locked_out");
  const p = form.querySelector(".error[role=alert]");
  delete p.dataset.i18n;
  p.textContent = t("signin.error.locked_until", { time: kstTime(ms) });
}

export default {
  id: "signin",
  nav: null,
  who: "anyone",
  async render(root, ctx) {
    const form = h("form", { id: "signin-form", novalidate: true, autocomplete: "on" },
      field("login", "signin.login", { type: "text", autocomplete: "username", autocapitalize: "none", spellcheck: "false", maxlength: "32" }),
      field("password", "signin.password", { type: "password", autocomplete: "current-password" }),
      h("button", { type: "submit", "data-i18n": "signin.submit" }),
      h("p", { class: "muted", "data-i18n": "signin.hint" }));
    const next = ctx.params.get("next");
    const note = next ? h("p", { class: "muted", "data-i18n": "signin.needed" }) : null;
    root.append(section("signin", "signin.title", note, form));
    form.login.focus();

    const fail = (what) => formError(form, what);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      formError(form, null);
      const login = form.login.value.trim().toLowerCase();
      const password = form.password.value;
      if (!login || !password) return fail("signin.error.empty");
      if (!LOGIN.test(login)) return fail("signin.error.invalid_login");
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const answer = await send("/session", { login, password });
        setSession(answer);
        form.password.value = "";
        // The router showed this form in place of the screen asked for, without changing the
        // address: then the address is still that screen's (with its parameters), so route again.
        const target = next && next !== "signin" ? next : "trade";
        const asked = location.hash.replace(/^#\/?/, "").split("?")[0];
        if (asked === target) window.dispatchEvent(new HashChangeEvent("hashchange"));
        else ctx.go(`#/${target}`);
      } catch (e) {
        form.password.value = "";
        const known = e instanceof ApiFailure ? ERRORS[e.code] : null;
        const until = e instanceof ApiFailure && e.code === "locked_out" ? /until (\d+)/.exec(e.message ?? "") : null;
        if (until) lockedUntil(form, Number(until[1]));
        else if (known) fail(known.key);
        else if (e instanceof ApiFailure && e.status === 404) fail("signin.error.portal_disabled");
        else if (e instanceof ApiFailure) fail(e);
        else fail("signin.error.network");
      } finally {
        button.disabled = false;
      }
    });
  },
};
