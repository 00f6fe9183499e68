//! The admin console over plain HTTP (no browser): its cookies, its forms'
//! CSRF tokens, and signing in the way the sign-in form does.

use crate::accounts::PASSWORD;

/// The whole Set-Cookie header (value and attributes) of the cookie `name`.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"))
        .to_owned()
}

/// `name=value` of a Set-Cookie header: what the browser sends back.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

/// The token in a page's (first) hidden `csrf` field.
pub fn hidden_csrf(html: &str) -> String {
    let field = "name=\"csrf\" value=\"";
    let start = html.find(field).expect("a CSRF field") + field.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Signs `email` (with [`PASSWORD`]) in through the console's sign-in form
/// at `base` (a gateway): the session cookie's `name=value`.
pub async fn sign_in(base: &str, email: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client
        .get(format!("{base}/console/sign-in"))
        .send()
        .await
        .unwrap();
    let sign_in_cookie = cookie_pair(&set_cookie(&form, "dayone_console_signin"));
    let csrf = hidden_csrf(&form.text().await.unwrap());
    let signed = client
        .post(format!("{base}/console/sign-in"))
        .header("cookie", sign_in_cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303, "signing {email} in to the console");
    cookie_pair(&set_cookie(&signed, "dayone_console"))
}
