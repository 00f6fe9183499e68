//! The project's own tasks, run as `cargo xtask <command>`:
//!
//! - `gen`: write every file generated from `services.toml`.
//! - `check`: fail when a generated file is stale, or when a service is named
//!   by more hand-written files outside its folders than it may be.
//! - `new-service NAME`: add a service (its folder, its migration crate, its
//!   manifest entry), then `gen`.

mod deploy;
mod generate;
mod manifest;
mod names;
mod new_service;
mod output;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::manifest::Manifest;

const USAGE: &str = "usage: cargo xtask <gen | check | new-service NAME>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> anyhow::Result<()> {
    let root = root()?;
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["gen"] => gen_files(&root),
        ["check"] => check(&root),
        ["new-service", name] => {
            new_service::create(&root, name)?;
            gen_files(&root)?;
            println!(
                "added `{name}`: services/{name}, migrations/{name} and its entry in services.toml; \
                 `make up` starts it behind /v1/{name}"
            );
            Ok(())
        }
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

/// The repository root: the nearest directory holding services.toml, from
/// where the command runs (not where the binary was built: a copy of the
/// tree may share this one's target directory).
fn root() -> anyhow::Result<PathBuf> {
    let here = std::env::current_dir()?;
    here.ancestors()
        .find(|dir| dir.join(manifest::FILE).is_file())
        .map(Path::to_path_buf)
        .with_context(|| format!("no {} in {} or above", manifest::FILE, here.display()))
}

fn gen_files(root: &Path) -> anyhow::Result<()> {
    let manifest = Manifest::load(root)?;
    let mut written = 0;
    for file in generate::all(root, &manifest)? {
        let path = root.join(&file.path);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(file.text.as_str()) {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &file.text).with_context(|| format!("writing {}", file.path))?;
        println!("wrote {}", file.path);
        written += 1;
    }
    println!("{written} file(s) changed");
    Ok(())
}

fn check(root: &Path) -> anyhow::Result<()> {
    let manifest = Manifest::load(root)?;
    let mut problems = Vec::new();
    let files = generate::all(root, &manifest)?;
    for file in &files {
        match std::fs::read_to_string(root.join(&file.path)) {
            Ok(text) if text == file.text => {}
            Ok(_) => problems.push(format!("{} is stale: run `cargo xtask gen`", file.path)),
            Err(_) => problems.push(format!("{} is missing: run `cargo xtask gen`", file.path)),
        }
    }
    let tree = names::tree_files(root)?;
    for service in &manifest.services {
        let named = names::named_elsewhere(root, &tree, &service.name);
        let limit = service.limit();
        println!(
            "{:<14} named by {:>3} hand-written file(s) outside its folders (at most {limit})",
            service.name,
            named.len()
        );
        if named.len() > limit {
            problems.push(format!(
                "`{}` is named by {} hand-written files outside services/{0}/ and migrations/{0}/ \
                 (at most {limit}): read it from services.toml or generate the file\n    {}",
                service.name,
                named.len(),
                named.join("\n    ")
            ));
        } else if service.named_elsewhere.is_some() && named.len() < limit {
            println!(
                "    (its limit in services.toml can come down to {})",
                named.len().max(manifest::NAMED_ELSEWHERE)
            );
        }
    }
    if problems.is_empty() {
        println!("{} generated file(s) up to date", files.len());
        Ok(())
    } else {
        bail!("{}", problems.join("\n"))
    }
}
