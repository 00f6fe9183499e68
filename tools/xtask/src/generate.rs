//! Every file generated from `services.toml`, in memory: `gen` writes them,
//! `check` compares them with the tree.

use std::fmt::Write as _;
use std::path::Path;

use crate::deploy;
use crate::manifest::{Manifest, Service};
use crate::output::{Generated, header};

pub fn all(root: &Path, m: &Manifest) -> anyhow::Result<Vec<Generated>> {
    let routes = nginx_routes(root, m)?;
    let mut files = vec![
        Generated {
            path: "scripts/env/services.sh".into(),
            text: shell(m),
        },
        Generated {
            path: "nginx/dayone-routes.conf".into(),
            text: routes.clone(),
        },
        Generated {
            path: "deploy/k8s/base/gateway/dayone-routes.conf".into(),
            text: routes,
        },
        Generated {
            path: "deploy/compose/postgres/10-dayone-databases.sql".into(),
            text: databases_sql(m),
        },
        Generated {
            path: "crates/model/src/services.rs".into(),
            text: rustfmt(&rust(m))?,
        },
    ];
    files.extend(deploy::files(root, m)?);
    Ok(files)
}

/// Sourced by scripts/stack and the other scripts: the services and what
/// they need from a native stack.
fn shell(m: &Manifest) -> String {
    let mut out = header("#");
    out.push_str(
        "# The services for the shell scripts (sourced by scripts/stack): names in\n\
         # start order, port offsets, their own path (/ready is under it) and database.\n",
    );
    let names: Vec<&str> = m.services.iter().map(|s| s.name.as_str()).collect();
    let _ = writeln!(out, "SERVICES=({})", names.join(" "));
    let table = |name: &str, value: &dyn Fn(&Service) -> String| {
        let cells: Vec<String> = m
            .services
            .iter()
            .map(|s| format!("[{}]={}", s.name, value(s)))
            .collect();
        format!("declare -A {name}=({})\n", cells.join(" "))
    };
    out.push_str(&table("SERVICE_PORT", &|s| s.port.to_string()));
    out.push_str(&table("SERVICE_PATH", &|s| s.path.clone()));
    out.push_str(&table("SERVICE_DATABASE", &|s| s.database.clone()));
    let documents: Vec<String> = m.services.iter().flat_map(|s| s.documents()).collect();
    let _ = writeln!(out, "OPENAPI_DOCUMENTS=({})", documents.join(" "));
    out
}

/// nginx/dayone-routes.conf: the template with one location per route.
fn nginx_routes(root: &Path, m: &Manifest) -> anyhow::Result<String> {
    let template_path = root.join("nginx/dayone-routes.conf.template");
    let template = std::fs::read_to_string(&template_path)?;
    // The template's own first lines explain it; the generated file's say
    // where it comes from.
    let body = template
        .split_once("#\n")
        .map(|(_, rest)| rest)
        .unwrap_or(&template);
    let mut locations = String::new();
    let mut exact = String::new();
    for s in &m.services {
        for route in s.gateway_prefixes() {
            let _ = write!(
                locations,
                "location {route} {{\n    proxy_pass http://{}_upstream;\n    include dayone-proxy.conf;\n}}\n",
                s.name
            );
            if let Some(bare) = route.strip_suffix('/') {
                let _ = write!(
                    exact,
                    "location = {bare} {{\n    proxy_pass http://{}_upstream;\n    include dayone-proxy.conf;\n}}\n",
                    s.name
                );
            }
        }
    }
    if !exact.is_empty() {
        locations.push_str(
            "# Without these, nginx would answer the bare version with an HTML 301 to it plus \"/\".\n",
        );
        locations.push_str(&exact);
    }
    let mut out = header("#");
    out.push_str(
        "# Versioned paths -> services (docs/ARCHITECTURE.md, \"Gateway\"), from\n\
         # services.toml and nginx/dayone-routes.conf.template. Included by every\n\
         # gateway server block, local and production alike. Service prefixes\n\
         # carry no trailing slash, so \"/v1/<name>\" is proxied, not redirected.\n\n",
    );
    out.push_str(&body.replace("@SERVICE_ROUTES@\n", &locations));
    Ok(out)
}

/// `text` as `cargo fmt` leaves it, so the formatting check and the
/// staleness check agree.
fn rustfmt(text: &str) -> anyhow::Result<String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("running rustfmt: {e}"))?;
    child
        .stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("rustfmt's stdin"))?
        .write_all(text.as_bytes())?;
    let out = child.wait_with_output()?;
    anyhow::ensure!(out.status.success(), "rustfmt failed on generated code");
    Ok(String::from_utf8(out.stdout)?)
}

/// `dayone_model::services`: the manifest for Rust code (scheduled tasks'
/// task routing, the tests' lists of services).
fn rust(m: &Manifest) -> String {
    let mut out = header("//");
    out.push_str(
        "//! The services of services.toml, for code that must know them: the queues\n\
         //! each one declares, which service runs a scheduled task, what the\n\
         //! end-to-end tests walk through.\n\n\
         /// One entry of services.toml.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq)]\n\
         pub struct Service {\n\
         \x20   pub name: &'static str,\n\
         \x20   /// Offset of its HTTP and metrics ports from the stack's bases.\n\
         \x20   pub port: u16,\n\
         \x20   /// Where its own routes (health, ready, openapi.json) live.\n\
         \x20   pub path: &'static str,\n\
         \x20   /// The gateway's path prefixes proxied to it.\n\
         \x20   pub routes: &'static [&'static str],\n\
         \x20   pub database: &'static str,\n\
         \x20   /// The work queues it owns, consumes and alone declares (its task\n\
         \x20   /// queue last).\n\
         \x20   pub queues: &'static [Queue],\n\
         \x20   /// The scheduled tasks it runs: routing keys `task.<tasks>.*`.\n\
         \x20   pub tasks: Option<&'static str>,\n\
         \x20   /// Its OpenAPI documents, as served through the gateway.\n\
         \x20   pub documents: &'static [&'static str],\n\
         }\n\n\
         /// A work queue and the routing-key patterns bound to it on the events\n\
         /// exchange.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq)]\n\
         pub struct Queue {\n\
         \x20   pub name: &'static str,\n\
         \x20   pub bindings: &'static [&'static str],\n\
         }\n\n",
    );
    let list = |items: &[String]| {
        items
            .iter()
            .map(|i| format!("{i:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for s in &m.services {
        let queues: Vec<String> = s
            .all_queues()
            .iter()
            .map(|q| {
                format!(
                    "Queue {{ name: {:?}, bindings: &[{}] }}",
                    q.name,
                    list(&q.bindings)
                )
            })
            .collect();
        let _ = write!(
            out,
            "pub const {}: Service = Service {{\n    name: {:?},\n    port: {},\n    path: {:?},\n    routes: &[{}],\n    database: {:?},\n    queues: &[{}],\n    tasks: {},\n    documents: &[{}],\n}};\n\n",
            s.upper(),
            s.name,
            s.port,
            s.path,
            list(&s.routes),
            s.database,
            queues.join(", "),
            s.tasks
                .as_ref()
                .map_or_else(|| "None".to_owned(), |t| format!("Some({t:?})")),
            list(&s.documents()),
        );
    }
    let consts: Vec<String> = m.services.iter().map(|s| s.upper()).collect();
    let _ = write!(
        out,
        "/// Every service, in start order.\n\
         pub const SERVICES: &[Service] = &[{}];\n\n\
         /// The service called `name`.\n\
         pub fn service(name: &str) -> Option<&'static Service> {{\n\
         \x20   SERVICES.iter().find(|s| s.name == name)\n\
         }}\n\n\
         /// The queue messages of type `kind` are routed to (bound by exact\n\
         /// key), and the service that owns it.\n\
         pub fn queue_for(kind: &str) -> Option<(&'static Service, &'static Queue)> {{\n\
         \x20   SERVICES.iter().find_map(|s| {{\n\
         \x20       s.queues\n\
         \x20           .iter()\n\
         \x20           .find(|q| q.bindings.contains(&kind))\n\
         \x20           .map(|q| (s, q))\n\
         \x20   }})\n\
         }}\n\n\
         impl Service {{\n\
         \x20   /// Its queue called `name`.\n\
         \x20   pub fn queue(&self, name: &str) -> Option<&'static Queue> {{\n\
         \x20       self.queues.iter().find(|q| q.name == name)\n\
         \x20   }}\n\
         }}\n",
        consts.join(", ")
    );
    out
}

fn databases_sql(m: &Manifest) -> String {
    let mut out = header("--");
    out.push_str(
        "-- One database per service, as scripts/stack's create_databases does for the\n\
         -- native stack. The official postgres image runs this once, on the first\n\
         -- start with an empty data volume, as POSTGRES_USER (PG_USER, \"dayone\"),\n\
         -- who therefore owns the databases. Each service creates its own tables with\n\
         -- `<service> migrate` (the *-migrate one-shot containers).\n",
    );
    for s in &m.services {
        let _ = writeln!(out, "CREATE DATABASE {};", s.database);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn every_route_goes_to_its_services_upstream() {
        let m = Manifest::parse(
            r#"
[[service]]
name = "billing"
port = 5
path = "/v1/billing"
routes = ["/v1/billing", "/v2/"]
database = "dayone_billing"
"#,
        )
        .unwrap();
        let conf = nginx_routes(&root(), &m).unwrap();
        assert!(conf.lines().next().unwrap().contains(crate::output::MARK));
        assert!(conf.contains("location /v1/billing {\n    proxy_pass http://billing_upstream;\n"));
        assert!(conf.contains("location /v2/ {\n    proxy_pass http://billing_upstream;\n"));
        assert!(conf.contains("location = /v2 {\n    proxy_pass http://billing_upstream;\n"));
        assert!(!conf.contains("@SERVICE_ROUTES@"));
        // The hand-written rest of the template is kept.
        assert!(conf.contains("location = /gateway/health"));
    }

    #[test]
    fn the_shell_tables_name_every_service() {
        let m = Manifest::load(&root()).unwrap();
        let sh = shell(&m);
        for s in &m.services {
            assert!(sh.contains(&format!("[{}]={}", s.name, s.port)), "{sh}");
            assert!(sh.contains(&format!("[{}]={}", s.name, s.database)), "{sh}");
        }
    }
}
