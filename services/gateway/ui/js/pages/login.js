// The log-in screen: local user and password; sign-up when the server allows it (the first user is admin).

import { login } from "../api.js";
import { h, replace } from "../dom.js";
import { errorBox } from "../ui.js";

/**
 * Renders the log-in form into `root`; calls `done(jwt)` after a successful log-in or sign-up.
 * `notice` is shown above the form (e.g. why the user was logged out).
 */
export async function renderLogin(root, done, notice = "") {
  const errors = h("div", { "aria-live": "assertive" });
  const username = h("input#username", { id: "username", name: "username", autocomplete: "username", required: true });
  const password = h("input#password", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = h("button.primary", { type: "submit", text: "Log in" });
  const signUp = h("button", { type: "button", text: "Sign up", hidden: true });

  async function attempt(request) {
    replace(errors);
    if (!username.value || !password.value) {
      replace(errors, errorBox(new Error("enter a username and a password")));
      return;
    }
    const button = request === "SignUpLocalUser" ? signUp : submit;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      const answer = await login(request, { username: username.value, password: password.value });
      const jwt = answer.jwt || (answer.data && answer.data.jwt);
      if (!jwt) throw new Error(`the server did not log you in (${answer.type || "no token"})`);
      done(jwt);
    } catch (err) {
      replace(errors, errorBox(err, err.status === 429 ? "Too many attempts" : "Log-in failed"));
      password.select();
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  const form = h(
    "form.login",
    {
      onsubmit: (event) => {
        event.preventDefault();
        attempt("LoginLocalUser");
      },
    },
    h("h1", {}, h("img", { src: "/ui/favicon.svg", alt: "", width: 32, height: 32 }), " Varanus"),
    notice ? h("p.notice", { role: "status", text: notice }) : null,
    h("label", { for: "username" }, "Username"),
    username,
    h("label", { for: "password" }, "Password"),
    password,
    errors,
    h("div.actions", {}, signUp, submit),
  );
  signUp.addEventListener("click", () => attempt("SignUpLocalUser"));
  replace(root, h("main.login-screen", { id: "main" }, form));
  username.focus();
  try {
    const options = await login("GetLoginOptions", {});
    if (options && options.local === false) {
      replace(errors, errorBox(new Error("local log-in is turned off on this server")));
    }
    signUp.hidden = !(options && options.registration_disabled === false);
  } catch (err) {
    replace(errors, errorBox(err, "The server did not answer"));
  }
}
