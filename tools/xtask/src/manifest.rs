//! `services.toml`: the one list of services, read and checked.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, bail, ensure};
use serde::Deserialize;

pub const FILE: &str = "services.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(rename = "service")]
    pub services: Vec<Service>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: String,
    /// Offset of its HTTP and metrics ports from the stack's bases.
    pub port: u16,
    /// Where its own routes (health, ready, openapi.json) live.
    pub path: String,
    /// The gateway's path prefixes proxied to it.
    pub routes: Vec<String>,
    /// Browser pages it serves at the gateway outside the versioned API
    /// (`/console/`): prefixes proxied to it like `routes`.
    #[serde(default)]
    pub pages: Vec<String>,
    pub database: String,
    /// Its own work queues (the task queue is added from `tasks`).
    #[serde(default)]
    pub queues: Vec<Queue>,
    /// The scheduled tasks it runs: `task.<tasks>.*`.
    #[serde(default)]
    pub tasks: Option<String>,
    /// Its OpenAPI documents through the gateway; `<path>/openapi.json`
    /// when empty.
    #[serde(default)]
    pub documents: Vec<String>,
    /// How many hand-written files outside its folders may name it, when
    /// more than the rule's nine: a ratchet for services whose name is also
    /// a word the whole system uses (`cargo xtask check` says when it can
    /// come down).
    #[serde(default)]
    pub named_elsewhere: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    pub name: String,
    /// Routing-key patterns bound to it on the events exchange.
    pub bindings: Vec<String>,
}

/// At most this many hand-written files outside a service's folders name it.
pub const NAMED_ELSEWHERE: usize = 9;

impl Service {
    pub fn limit(&self) -> usize {
        self.named_elsewhere.unwrap_or(NAMED_ELSEWHERE)
    }

    /// `ledger` -> `LEDGER`, for environment variables and placeholders.
    pub fn upper(&self) -> String {
        self.name.to_ascii_uppercase()
    }

    /// Its queues: those listed, then `<name>.tasks` when it runs tasks.
    pub fn all_queues(&self) -> Vec<Queue> {
        let mut queues = self.queues.clone();
        if let Some(tasks) = &self.tasks {
            queues.push(Queue {
                name: format!("{}.tasks", self.name),
                bindings: vec![format!("task.{tasks}.*")],
            });
        }
        queues
    }

    /// Every prefix the gateway proxies to it: its routes, then its pages.
    pub fn gateway_prefixes(&self) -> impl Iterator<Item = &String> {
        self.routes.iter().chain(&self.pages)
    }

    /// Its OpenAPI documents, as served through the gateway.
    pub fn documents(&self) -> Vec<String> {
        if self.documents.is_empty() {
            vec![format!("{}/openapi.json", self.path)]
        } else {
            self.documents.clone()
        }
    }
}

impl Manifest {
    pub fn load(root: &Path) -> anyhow::Result<Self> {
        let path = root.join(FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let manifest: Manifest = toml::from_str(text)?;
        manifest.validate()?;
        Ok(manifest)
    }

    fn validate(&self) -> anyhow::Result<()> {
        ensure!(!self.services.is_empty(), "no [[service]] entry");
        let mut names = BTreeSet::new();
        let mut ports = BTreeSet::new();
        let mut routes = BTreeSet::new();
        let mut queues = BTreeSet::new();
        for s in &self.services {
            check_name(&s.name)?;
            ensure!(
                names.insert(&s.name),
                "service `{}` is listed twice",
                s.name
            );
            ensure!(
                (1..10).contains(&s.port),
                "{}: port offset {} is not 1..=9 (replicas are 10 apart)",
                s.name,
                s.port
            );
            ensure!(
                ports.insert(s.port),
                "{}: port offset {} is taken",
                s.name,
                s.port
            );
            ensure!(
                s.path.starts_with("/v") && !s.path.ends_with('/'),
                "{}: path `{}` must be /v<N>/... without a trailing slash",
                s.name,
                s.path
            );
            ensure!(!s.routes.is_empty(), "{}: no gateway route", s.name);
            ensure!(
                s.routes.iter().any(|r| s.path.starts_with(r.as_str())),
                "{}: no route leads to its path `{}`",
                s.name,
                s.path
            );
            for r in &s.routes {
                ensure!(
                    r.starts_with("/v")
                        && r.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b)),
                    "{}: route `{r}` must be a plain /v<N>/... path",
                    s.name
                );
                ensure!(routes.insert(r), "{}: route `{r}` is taken", s.name);
            }
            for p in &s.pages {
                ensure!(
                    p.starts_with('/')
                        && p.ends_with('/')
                        && !p.starts_with("/v")
                        && p.len() > 2
                        && p.bytes()
                            .all(|b| b.is_ascii_lowercase() || b"/-_".contains(&b)),
                    "{}: page `{p}` must be a plain /<name>/ prefix outside the API's /v<N>",
                    s.name
                );
                ensure!(routes.insert(p), "{}: page `{p}` is taken", s.name);
            }
            ensure!(
                s.database.starts_with("dayone_")
                    && s.database[7..]
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}: database `{}` must be dayone_<lowercase>",
                s.name,
                s.database
            );
            for q in s.all_queues() {
                ensure!(
                    !q.bindings.is_empty(),
                    "{}: queue `{}` has no binding",
                    s.name,
                    q.name
                );
                ensure!(
                    queues.insert(q.name.clone()),
                    "{}: queue `{}` is taken",
                    s.name,
                    q.name
                );
            }
        }
        Ok(())
    }
}

/// A service name: lowercase letters and digits, starting with a letter
/// (it becomes a binary, a crate `dayone-<name>`, a database, a host name).
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = name.len() <= 30
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !ok {
        bail!("service name `{name}`: lowercase letters and digits, a letter first, at most 30");
    }
    Ok(())
}

/// Two made-up services for the generators' tests: what services added by
/// `new-service` look like.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub fn made_up() -> Manifest {
    Manifest::parse(
        r#"
[[service]]
name = "billing"
port = 5
path = "/v1/billing"
routes = ["/v1/billing"]
database = "dayone_billing"

[[service]]
name = "ledger"
port = 6
path = "/v1/ledger"
routes = ["/v1/ledger"]
database = "dayone_ledger"
"#,
    )
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
[[service]]
name = "ledger"
port = 1
path = "/v1/ledger"
routes = ["/v1/ledger"]
database = "dayone_ledger"
"#;

    #[test]
    fn the_projects_manifest_is_valid() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let m = Manifest::load(&root).unwrap();
        assert!(!m.services.is_empty());
    }

    #[test]
    fn a_taken_port_or_route_is_refused() {
        let other = ONE.replace("\"ledger\"", "\"other\"");
        let err = Manifest::parse(&format!("{ONE}{other}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("port offset 1 is taken"), "{err}");
        let other = other.replace("port = 1", "port = 2");
        let err = Manifest::parse(&format!("{ONE}{other}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("route `/v1/ledger` is taken"), "{err}");
    }

    #[test]
    fn names_are_plain() {
        assert!(check_name("billing2").is_ok());
        for bad in ["Billing", "2fa", "bill-ing", "bill_ing", ""] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = Manifest::parse(&format!("{ONE}colour = \"red\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
    }
}
