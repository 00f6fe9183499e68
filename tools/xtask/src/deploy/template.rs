//! The small template language of the deployment templates (`*.template`
//! and `*.in` files under `deploy/`): hand-written files that name no
//! service, from which `cargo xtask gen` writes the real ones.
//!
//! - The template's first lines, up to and including the first line that is
//!   the bare comment mark (`#`), explain the template; they are replaced in
//!   the output by the generated-file header.
//! - Lines between one holding `@EACH_SERVICE@` and one holding
//!   `@END_EACH_SERVICE@` (the marker lines themselves are dropped) are
//!   repeated for every service of services.toml, in its order, with
//!   `@SERVICE@` (name), `@SERVICE_UPPER@`, `@DATABASE@` and `@PORT@` (the
//!   port offset) filled in. After the start marker, `if PATH` keeps only
//!   the services for which PATH (relative to the template, `@SERVICE@`
//!   filled in) exists, `unless PATH` only those for which it does not, and
//!   `but the first` skips the first service.
//! - Inside such a block, a line holding `@EACH_FILE DIR@` is repeated for
//!   every file of DIR (relative to the template, sorted), the marker replaced
//!   by `DIR/<file>`; a line that is `@INCLUDE FILE KEY@` becomes the lines
//!   under the top-level key KEY of the YAML file FILE, indented like the
//!   marker (nothing when the file or key is absent).
//! - Anywhere: `@SERVICES_QUOTED@` is `"a", "b"`, `@SERVICES_COMMA@` is
//!   `a,b`, `@FIRST_DATABASE@` the first service's database, and the caller
//!   may fill in placeholders of its own.

use std::path::Path;

use anyhow::{Context, bail, ensure};

use crate::manifest::{Manifest, Service};
use crate::output::header;

const EACH: &str = "@EACH_SERVICE@";
const END: &str = "@END_EACH_SERVICE@";

/// Renders the template `template` (a path from the repository root), with
/// `comment` as the comment mark of the output and `extra` as further
/// placeholders (each replaced wherever it appears).
pub fn render(
    root: &Path,
    template: &str,
    m: &Manifest,
    comment: &str,
    extra: &[(&str, String)],
) -> anyhow::Result<String> {
    let path = root.join(template);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let dir = path
        .parent()
        .map_or_else(|| root.to_path_buf(), Path::to_path_buf);
    let body = strip_intro(&text, comment)
        .with_context(|| format!("{template}: no intro ending in a bare `{comment}` line"))?;
    let mut out = header(comment);
    out.push_str(&format!(
        "{comment} From {template} (edit that) and services.toml.\n"
    ));
    let expanded = expand(body, m, &dir, extra).with_context(|| format!("rendering {template}"))?;
    out.push_str(&expanded);
    Ok(out)
}

/// The template without its intro: everything after the first line that is
/// the bare comment mark.
fn strip_intro<'a>(text: &'a str, comment: &str) -> Option<&'a str> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        if line.trim_end() == comment {
            return Some(&text[offset..]);
        }
        if !line.starts_with(comment) {
            return None;
        }
    }
    None
}

fn expand(
    body: &str,
    m: &Manifest,
    dir: &Path,
    extra: &[(&str, String)],
) -> anyhow::Result<String> {
    let names: Vec<&str> = m.services.iter().map(|s| s.name.as_str()).collect();
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let mut globals: Vec<(&str, String)> = vec![
        ("@SERVICES_QUOTED@", quoted.join(", ")),
        ("@SERVICES_COMMA@", names.join(",")),
        (
            "@FIRST_DATABASE@",
            m.services
                .first()
                .map(|s| s.database.clone())
                .unwrap_or_default(),
        ),
    ];
    globals.extend(extra.iter().map(|(k, v)| (*k, v.clone())));

    let mut out = String::new();
    let mut lines = body.split_inclusive('\n');
    while let Some(line) = lines.next() {
        if let Some(at) = line.find(EACH) {
            let condition = line[at + EACH.len()..].trim();
            let mut block = Vec::new();
            loop {
                match lines.next() {
                    Some(l) if l.contains(END) => break,
                    Some(l) => {
                        ensure!(!l.contains(EACH), "{EACH} blocks do not nest");
                        block.push(l);
                    }
                    None => bail!("{EACH} without {END}"),
                }
            }
            for (i, s) in m.services.iter().enumerate() {
                if keep(condition, i, s, dir)? {
                    for l in &block {
                        service_line(&mut out, &fill(l, s), dir)?;
                    }
                }
            }
        } else {
            ensure!(!line.contains(END), "{END} without {EACH}");
            ensure!(
                !line.contains("@SERVICE@"),
                "@SERVICE@ outside an {EACH} block: {line}"
            );
            let mut line = line.to_owned();
            for (key, value) in &globals {
                line = line.replace(key, value);
            }
            out.push_str(&line);
        }
    }
    Ok(out)
}

fn fill(line: &str, s: &Service) -> String {
    line.replace("@SERVICE_UPPER@", &s.upper())
        .replace("@SERVICE@", &s.name)
        .replace("@DATABASE@", &s.database)
        .replace("@PORT@", &s.port.to_string())
}

/// Whether the block is repeated for service `s` (the `i`th).
fn keep(condition: &str, i: usize, s: &Service, dir: &Path) -> anyhow::Result<bool> {
    let condition = fill(condition, s);
    let words: Vec<&str> = condition.split_whitespace().collect();
    Ok(match words[..] {
        [] => true,
        ["but", "the", "first"] => i > 0,
        ["if", path] => dir.join(path).exists(),
        ["unless", path] => !dir.join(path).exists(),
        _ => bail!("unknown {EACH} condition `{condition}`"),
    })
}

/// One line of a block, its service filled in: `@EACH_FILE@` and
/// `@INCLUDE@` expanded.
fn service_line(out: &mut String, line: &str, dir: &Path) -> anyhow::Result<()> {
    if let Some(at) = line.find("@EACH_FILE ") {
        let rest = &line[at + "@EACH_FILE ".len()..];
        let end = rest.find('@').context("@EACH_FILE without its closing @")?;
        let sub = &rest[..end];
        let marker = format!("@EACH_FILE {sub}@");
        for file in files_in(&dir.join(sub))? {
            out.push_str(&line.replace(&marker, &format!("{sub}/{file}")));
        }
        return Ok(());
    }
    let trimmed = line.trim();
    if let Some(spec) = trimmed
        .strip_prefix("@INCLUDE ")
        .and_then(|s| s.strip_suffix('@'))
    {
        let indent = &line[..line.len() - line.trim_start().len()];
        let (file, key) = spec
            .split_once(' ')
            .with_context(|| format!("@INCLUDE needs a file and a key: {trimmed}"))?;
        let path = dir.join(file);
        if let Ok(text) = std::fs::read_to_string(&path) {
            for l in yaml_section(&text, key) {
                if l.trim().is_empty() {
                    out.push('\n');
                } else {
                    out.push_str(indent);
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
        return Ok(());
    }
    out.push_str(line);
    Ok(())
}

/// The names of the files in `dir`, sorted (none when it does not exist).
fn files_in(dir: &Path) -> anyhow::Result<Vec<String>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// The lines under the top-level `key:` of a YAML document, with the
/// indentation of the first of them removed: comments and blank lines inside
/// the section are kept, those before the next key are not.
pub fn yaml_section<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    let head = format!("{key}:");
    let mut lines = text.lines().skip_while(|l| l.trim_end() != head).skip(1);
    let mut section: Vec<&str> = Vec::new();
    for l in lines.by_ref() {
        if !l.is_empty() && !l.starts_with(' ') && !l.starts_with('#') {
            break;
        }
        section.push(l);
    }
    while section
        .last()
        .is_some_and(|l| l.trim().is_empty() || !l.starts_with(' '))
    {
        section.pop();
    }
    let indent = section
        .iter()
        .find(|l| !l.trim().is_empty())
        .map_or(0, |l| l.len() - l.trim_start().len());
    let prefix = " ".repeat(indent);
    section
        .into_iter()
        .map(|l| {
            l.strip_prefix(prefix.as_str())
                .unwrap_or_else(|| l.trim_start())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn manifest() -> Manifest {
        crate::manifest::made_up()
    }

    /// A scratch folder of its own for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("xtask-template-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn blocks_repeat_per_service_with_their_conditions() {
        let dir = scratch("blocks");
        std::fs::create_dir_all(dir.join("keys/ledger")).unwrap();
        std::fs::write(dir.join("keys/ledger/b"), "").unwrap();
        std::fs::write(dir.join("keys/ledger/a"), "").unwrap();
        std::fs::write(
            dir.join("ledger.yml"),
            "# intro\nenv:\n  A: 1\n  # why\n  B: 2\n\n# next\nother:\n  - x\n",
        )
        .unwrap();
        let body = "\
top @SERVICES_COMMA@ [@SERVICES_QUOTED@] @FIRST_DATABASE@
# @EACH_SERVICE@
- @SERVICE@ @SERVICE_UPPER@ @DATABASE@ @PORT@
# @END_EACH_SERVICE@
# @EACH_SERVICE@ but the first
rest @SERVICE@
# @END_EACH_SERVICE@
# @EACH_SERVICE@ if keys/@SERVICE@
keys @SERVICE@:
  - @EACH_FILE keys/@SERVICE@@
# @END_EACH_SERVICE@
# @EACH_SERVICE@ unless keys/@SERVICE@
no keys @SERVICE@
# @END_EACH_SERVICE@
# @EACH_SERVICE@
env @SERVICE@:
    @INCLUDE @SERVICE@.yml env@
# @END_EACH_SERVICE@
";
        let out = expand(body, &manifest(), &dir, &[]).unwrap();
        assert_eq!(
            out,
            "\
top billing,ledger [\"billing\", \"ledger\"] dayone_billing
- billing BILLING dayone_billing 5
- ledger LEDGER dayone_ledger 6
rest ledger
keys ledger:
  - keys/ledger/a
  - keys/ledger/b
no keys billing
env billing:
env ledger:
    A: 1
    # why
    B: 2
"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn mistakes_are_refused() {
        let dir = scratch("mistakes");
        let m = manifest();
        for bad in [
            "# @EACH_SERVICE@\nx\n",
            "# @END_EACH_SERVICE@\n",
            "name: @SERVICE@\n",
            "# @EACH_SERVICE@ when it rains\n# @END_EACH_SERVICE@\n",
        ] {
            assert!(expand(bad, &m, &dir, &[]).is_err(), "{bad}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_intro_is_replaced_by_the_header() {
        let dir = scratch("intro");
        std::fs::write(
            dir.join("x.template"),
            "# About the template.\n#\n# Body.\nk: v\n",
        )
        .unwrap();
        let out = render(&dir, "x.template", &manifest(), "#", &[]).unwrap();
        assert!(out.starts_with(&header("#")), "{out}");
        assert!(
            out.ends_with("(edit that) and services.toml.\n# Body.\nk: v\n"),
            "{out}"
        );
        std::fs::write(dir.join("y.template"), "k: v\n").unwrap();
        assert!(render(&dir, "y.template", &manifest(), "#", &[]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_yaml_section_keeps_its_comments_but_not_the_next_ones() {
        let yaml = "a:\n  - x\n  # y\n  - z\n\n# about b\nb:\n    k: 1\n";
        assert_eq!(yaml_section(yaml, "a"), ["- x", "# y", "- z"]);
        assert_eq!(yaml_section(yaml, "b"), ["k: 1"]);
        assert!(yaml_section(yaml, "c").is_empty());
    }
}
