// The pages behind the links auth emails (verify-email.html and
// reset-password.html, served by the gateway): they finish the flow against
// the API on the same origin and show its outcome, or the API's own error
// message. External on purpose: the pages' Content-Security-Policy
// (default-src 'self') runs no inline script.
"use strict";

(function () {
    const page = document.body.dataset.page;
    const status = document.getElementById("status");
    const token = new URLSearchParams(window.location.search).get("token");
    // The token is a credential: out of the address bar and the history at
    // once, so it is neither bookmarked, shared from the tab nor left behind.
    if (window.location.search) {
        window.history.replaceState(null, "", window.location.pathname);
    }

    function show(state, text) {
        status.dataset.state = state;
        status.textContent = text;
    }

    // POSTs `body` as JSON to `path`: { ok: true } on a 2xx, else
    // { ok: false, message } with the API's message when it sent one.
    async function post(path, body) {
        let response;
        try {
            response = await fetch(path, {
                method: "POST",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify(body),
                credentials: "omit",
                cache: "no-store",
                referrerPolicy: "no-referrer",
            });
        } catch (_) {
            return { ok: false, message: "The server could not be reached; check your connection and try again." };
        }
        if (response.ok) {
            return { ok: true };
        }
        let message = "Something went wrong (HTTP " + response.status + "); please try again later.";
        try {
            const error = await response.json();
            if (error && typeof error.message === "string" && error.message) {
                message = error.message;
            }
        } catch (_) {
            // Not JSON: keep the generic message.
        }
        return { ok: false, message: message };
    }

    const missingToken = "This link is incomplete: open the whole link from the email, or ask for a new one.";

    async function verifyEmail() {
        if (!token) {
            show("error", missingToken);
            return;
        }
        show("working", "Confirming your email address…");
        const result = await post("/v1/auth/email/verify", { token: token });
        if (result.ok) {
            show("done", "Your email address is verified. You can close this page.");
        } else {
            show("error", result.message);
        }
    }

    function resetPassword() {
        const form = document.getElementById("reset");
        const password = document.getElementById("password");
        const confirm = document.getElementById("confirm");
        const submit = document.getElementById("submit");
        if (!token) {
            show("error", missingToken);
            return;
        }
        form.hidden = false;
        password.focus();
        form.addEventListener("submit", async function (event) {
            event.preventDefault();
            if (password.value !== confirm.value) {
                show("error", "The two passwords differ.");
                return;
            }
            submit.disabled = true;
            show("working", "Changing your password…");
            // The API checks the password's rules and names what is wrong:
            // its message is shown, and the same link can be used again.
            const result = await post("/v1/auth/password/reset", {
                token: token,
                new_password: password.value,
            });
            submit.disabled = false;
            if (result.ok) {
                form.hidden = true;
                password.value = "";
                confirm.value = "";
                show("done", "Your password has been changed and every session signed out. Sign in with the new password.");
            } else {
                show("error", result.message);
            }
        });
    }

    if (page === "verify-email") {
        verifyEmail();
    } else if (page === "reset-password") {
        resetPassword();
    }
})();
