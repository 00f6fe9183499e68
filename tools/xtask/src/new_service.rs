//! `cargo xtask new-service NAME`: a service in the shape of the others.
//!
//! Writes `services/NAME/` (state, routes, consumers, tasks, error; the
//! runtime gives it /health, /ready, metrics, the outbox relay and the
//! dead-letter API), `migrations/NAME/` (its messaging tables) and its entry
//! in services.toml (the next free port offset, `/v1/NAME`, `dayone_NAME`, a
//! task queue). `gen` then puts it in every generated file, so `make up`
//! builds, migrates and starts it behind the gateway.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail, ensure};

use crate::manifest::{self, Manifest};

/// `(path, text)` of the template `templates/<dir>/<path>`.
macro_rules! templates {
    ($dir:literal: $($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../templates/", $dir, "/", $path)))),*]
    };
}

/// (path under the new folder, template text), per folder.
const SERVICE: &[(&str, &str)] = templates!("service":
    "Cargo.toml",
    "config.yaml",
    "src/main.rs",
    "src/lib.rs",
    "src/settings.rs",
    "src/startup.rs",
    "src/state.rs",
    "src/error.rs",
    "src/tasks.rs",
    "src/consumers/mod.rs",
    "src/routes/mod.rs",
    "tests/api/main.rs",
);
const MIGRATION: &[(&str, &str)] = templates!("migration":
    "Cargo.toml",
    "src/lib.rs",
    "src/m0001_messaging.rs",
);

pub fn create(root: &Path, name: &str) -> anyhow::Result<()> {
    manifest::check_name(name)?;
    let current = Manifest::load(root)?;
    ensure!(
        !current.services.iter().any(|s| s.name == name),
        "`{name}` is already in services.toml"
    );
    let service_dir = root.join("services").join(name);
    let migration_dir = root.join("migrations").join(name);
    for dir in [&service_dir, &migration_dir] {
        if dir.exists() {
            bail!("{} exists already", dir.display());
        }
    }
    let Some(port) = (1..10).find(|p| current.services.iter().all(|s| s.port != *p)) else {
        bail!("every port offset 1..=9 is taken: services.toml has no room for another service");
    };
    let path = format!("/v1/{name}");

    let mut entry = String::new();
    let _ = write!(
        entry,
        "\n[[service]]\nname = \"{name}\"\nport = {port}\npath = \"{path}\"\nroutes = [\"{path}\"]\n\
         database = \"dayone_{name}\"\ntasks = \"{name}\"\n"
    );
    let manifest_path = root.join(manifest::FILE);
    let mut text = std::fs::read_to_string(&manifest_path)?;
    text.push_str(&entry);
    // Refuse before writing anything if the result would not load (a route
    // taken by another service, say).
    Manifest::parse(&text).context("services.toml with the new entry")?;

    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{path}}", &path)
            .replace("{{tasks}}", name)
            .replace("{{NAME}}", &name.to_ascii_uppercase())
            // The local stack's bases (scripts/env/local.env).
            .replace("{{http_port}}", &(8100 + port).to_string())
            .replace("{{metrics_port}}", &(9100 + port).to_string())
    };
    for (dir, files) in [(&service_dir, SERVICE), (&migration_dir, MIGRATION)] {
        for (file, template) in files {
            let target = dir.join(file);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&target, fill(template))
                .with_context(|| format!("writing {}", target.display()))?;
        }
    }
    std::fs::write(&manifest_path, text)?;
    // Import order depends on the name (`dayone_<name>` among the others):
    // leave the new files as `cargo fmt` would.
    let rust: Vec<_> = [(&service_dir, SERVICE), (&migration_dir, MIGRATION)]
        .iter()
        .flat_map(|(dir, files)| files.iter().map(move |(file, _)| dir.join(file)))
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect();
    let formatted = std::process::Command::new("rustfmt")
        .args(["--edition", "2024"])
        .args(&rust)
        .status()
        .context("running rustfmt on the new service")?;
    ensure!(formatted.success(), "rustfmt failed on the new service");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled() {
        for (file, template) in SERVICE.iter().chain(MIGRATION) {
            let filled = template
                .replace("{{name}}", "ledger")
                .replace("{{path}}", "/v1/ledger")
                .replace("{{tasks}}", "ledger")
                .replace("{{NAME}}", "LEDGER")
                .replace("{{http_port}}", "8105")
                .replace("{{metrics_port}}", "9105");
            assert!(!filled.contains("{{"), "{file}");
        }
    }

    #[test]
    fn a_new_service_takes_the_next_free_port_and_its_own_path() {
        let dir = std::env::temp_dir().join(format!("xtask-new-service-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("nginx")).unwrap();
        std::fs::write(
            dir.join(manifest::FILE),
            "[[service]]\nname = \"ledger\"\nport = 1\npath = \"/v1/ledger\"\n\
             routes = [\"/v1/ledger\"]\ndatabase = \"dayone_ledger\"\n",
        )
        .unwrap();
        create(&dir, "billing").unwrap();
        let m = Manifest::load(&dir).unwrap();
        let billing = m.services.iter().find(|s| s.name == "billing").unwrap();
        assert_eq!(billing.port, 2);
        assert_eq!(billing.routes, ["/v1/billing"]);
        let queues: Vec<String> = billing.all_queues().into_iter().map(|q| q.name).collect();
        assert_eq!(queues, ["billing.tasks"]);
        let startup = std::fs::read_to_string(dir.join("services/billing/src/startup.rs")).unwrap();
        assert!(startup.contains("prefix: \"/v1/billing\""));
        assert!(dir.join("migrations/billing/src/lib.rs").exists());
        // Twice is refused, and leaves the tree as it was.
        assert!(create(&dir, "billing").is_err());
        assert!(create(&dir, "Bad").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
