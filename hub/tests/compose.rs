//! The compose stack, checked without a container engine: the compose file
//! parses, every file it names exists, every Dockerfile stage it builds
//! exists and runs as a non-root user with a health check by the binary
//! itself, every variable it sets is one the binaries read, and the agent
//! reads the host. Then the same topology as plain processes
//! (`scripts/stack.sh --check`) comes up and answers on every service.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use yaml_rust2::{Yaml, YamlLoader};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn compose() -> Yaml {
    let text = std::fs::read_to_string(root().join("compose/docker-compose.yml")).expect("compose file");
    YamlLoader::load_from_str(&text).expect("valid YAML").remove(0)
}

fn service<'a>(doc: &'a Yaml, name: &str) -> &'a Yaml {
    let service = &doc["services"][name];
    assert!(!service.is_badvalue(), "service `{name}` missing");
    service
}

/// `map[key]`, or the same key of a mapping merged in with `<<: *anchor`.
fn merged<'a>(map: &'a Yaml, key: &str) -> &'a Yaml {
    if map[key].is_badvalue() {
        &map["<<"][key]
    } else {
        &map[key]
    }
}

/// The lines of the Dockerfile stage `name` (from its FROM to the next).
fn stage(dockerfile: &str, name: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut inside = false;
    for line in dockerfile.lines() {
        if line.starts_with("FROM ") {
            inside = line.to_lowercase().ends_with(&format!(" as {name}"));
        }
        if inside {
            lines.push(line.to_owned());
        }
    }
    assert!(!lines.is_empty(), "no stage `{name}` in the Dockerfile");
    lines
}

/// Every environment variable a binary reads (clap `env`), plus the URLs.
fn envs(command: clap::Command) -> BTreeSet<String> {
    command.get_arguments().filter_map(|a| a.get_env()).map(|e| e.to_string_lossy().into_owned()).collect()
}

fn environment(service: &Yaml) -> Vec<String> {
    service["environment"]
        .as_hash()
        .map(|h| h.keys().filter_map(Yaml::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

#[test]
fn compose_names_only_what_exists() {
    let doc = compose();
    let names: BTreeSet<&str> = doc["services"].as_hash().expect("services").keys().filter_map(Yaml::as_str).collect();
    assert_eq!(names, BTreeSet::from(["timescaledb", "redis", "hub", "agent", "relay"]));
    let dockerfile_path = root().join("compose/Dockerfile");
    let dockerfile = std::fs::read_to_string(&dockerfile_path).expect("compose/Dockerfile");

    for (name, binary) in [("hub", "sysmonstm-hub"), ("agent", "sysmonstm-agent"), ("relay", "sysmonstm-relay")] {
        let build = &service(&doc, name)["build"];
        let context = root().join("compose").join(merged(build, "context").as_str().expect("context"));
        assert_eq!(context.canonicalize().expect("context exists"), root().canonicalize().expect("root"));
        assert!(
            context.join(merged(build, "dockerfile").as_str().expect("dockerfile")).is_file(),
            "{name}: dockerfile"
        );
        let target = build["target"].as_str().expect("target");
        let lines = stage(&dockerfile, target);
        let user = lines.iter().rev().find_map(|l| l.strip_prefix("USER ")).expect("a USER line");
        assert!(user != "root" && user != "0", "{name} runs as {user}");
        assert!(lines.iter().any(|l| l.contains(&format!("ENTRYPOINT [\"{binary}\"]"))), "{name}: entrypoint");
        if name != "agent" {
            let check = lines.iter().find(|l| l.starts_with("HEALTHCHECK")).expect("a HEALTHCHECK");
            assert!(check.contains(&format!("\"{binary}\", \"--check-health\"")), "{name}: {check}");
        }
    }
    assert!(!dockerfile.contains("curl"), "images check health with their own binary");

    // Every COPY source of the build stages exists in the context, and
    // every workspace member is copied (cargo refuses a workspace with one
    // missing).
    let mut copied = Vec::new();
    for line in dockerfile.lines().filter(|l| l.starts_with("COPY ") && !l.contains("--from")) {
        let parts: Vec<&str> = line.split_whitespace().skip(1).collect();
        for source in &parts[..parts.len() - 1] {
            assert!(root().join(source).exists(), "COPY source `{source}` missing");
            copied.push(source.to_string());
        }
    }
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    let members = manifest.lines().find_map(|l| l.strip_prefix("members = ")).expect("workspace members");
    for member in members.trim_matches(|c| c == '[' || c == ']').split(',') {
        let member = member.trim().trim_matches('"');
        assert!(copied.iter().any(|c| c == member), "workspace member `{member}` is not copied into the build stage");
    }
    assert!(root().join("compose/.env.example").is_file());
}

#[test]
fn compose_sets_only_variables_the_binaries_read() {
    let doc = compose();
    for (name, known) in [
        ("hub", envs(sysmonstm_hub::HubArgs::command())),
        ("agent", envs(sysmonstm_agent::AgentArgs::command())),
        ("relay", envs(sysmonstm_relay::RelayArgs::command())),
    ] {
        for key in environment(service(&doc, name)) {
            assert!(known.contains(&key), "{name} does not read {key}; it reads {known:?}");
        }
    }
    // Every variable the compose file interpolates is documented in .env.example.
    let text = std::fs::read_to_string(root().join("compose/docker-compose.yml")).expect("compose file");
    let example = std::fs::read_to_string(root().join("compose/.env.example")).expect(".env.example");
    for var in text.split("${").skip(1).filter_map(|s| s.split([':', '}']).next()) {
        assert!(example.contains(&format!("{var}=")), "{var} is not in .env.example");
    }
}

#[test]
fn the_agent_reads_the_host_and_the_relay_is_optional() {
    let doc = compose();
    let agent = service(&doc, "agent");
    assert_eq!(agent["pid"].as_str(), Some("host"));
    assert_eq!(agent["network_mode"].as_str(), Some("host"));
    let volumes: Vec<&str> = agent["volumes"].as_vec().expect("volumes").iter().filter_map(Yaml::as_str).collect();
    assert!(volumes.iter().any(|v| v.starts_with("/:/host:ro")), "{volumes:?}");
    assert_eq!(agent["environment"]["SYSMONSTM_ROOTFS"].as_str(), Some("/host"));
    let profiles = service(&doc, "relay")["profiles"].as_vec().expect("profiles");
    assert_eq!(profiles.first().and_then(Yaml::as_str), Some("public"));
    let hub = service(&doc, "hub");
    for key in ["DATABASE_URL", "REDIS_URL"] {
        assert!(environment(hub).contains(&key.to_owned()), "hub needs {key}");
    }
    assert!(hub["environment"]["DATABASE_URL"].as_str().is_some_and(|u| u.contains("@timescaledb:5432/")));
}

#[test]
fn the_same_topology_runs_as_plain_processes() {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_sysmonstm-hub")).parent().expect("bin dir").to_path_buf();
    for binary in ["sysmonstm-agent", "sysmonstm-relay"] {
        assert!(
            bin_dir.join(binary).is_file(),
            "{binary} not built in {} (cargo build --workspace)",
            bin_dir.display()
        );
    }
    let output = std::process::Command::new(root().join("scripts/stack.sh"))
        .arg("--check")
        .env("SYSMONSTM_BIN_DIR", &bin_dir)
        .output()
        .expect("stack.sh runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "stack.sh --check failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("stack check passed"), "{stdout}");
    assert_eq!(stdout.matches("lists stack-1, stack-2, stack-3 online").count(), 3, "{stdout}");
}

/// The Debian packages' settings files name only variables their binary
/// reads, set or commented out, and the units read them and run the binary.
#[test]
fn package_settings_name_only_variables_the_binaries_read() {
    for (name, known) in [
        ("hub", envs(sysmonstm_hub::HubArgs::command())),
        ("agent", envs(sysmonstm_agent::AgentArgs::command())),
        ("relay", envs(sysmonstm_relay::RelayArgs::command())),
    ] {
        let dir = root().join("packaging").join(name);
        let settings = std::fs::read_to_string(dir.join(format!("{name}.env"))).expect("settings file");
        let keys: Vec<&str> = settings
            .lines()
            .map(|l| l.trim_start_matches('#'))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k))
            .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            .collect();
        assert!(keys.len() >= 2, "{name}.env names its settings: {keys:?}");
        for key in keys {
            assert!(
                known.iter().any(|k| k == key),
                "sysmonstm-{name} does not read {key} ({name}.env); it reads {known:?}"
            );
        }
        let unit = std::fs::read_to_string(dir.join(format!("sysmonstm-{name}.service"))).expect("unit");
        assert!(unit.lines().any(|l| l == format!("EnvironmentFile=/etc/sysmonstm/{name}.env")), "{name}'s unit");
        assert!(unit.lines().any(|l| l.starts_with(&format!("ExecStart=/usr/bin/sysmonstm-{name}"))), "{name}'s unit");
    }
}
