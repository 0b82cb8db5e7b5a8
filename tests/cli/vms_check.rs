//! CLI tests of the libvirt check of `vms add`, `vms set` and `vms import`: a domain or snapshot
//! that does not exist is refused, a host that does not answer only earns a warning, a URI that
//! runs a program it names is never connected to, and a domain already registered under
//! another spelling of its URI is refused by its UUID.

use crate::domains::{silent_uri, DEAD_URI};
use crate::hv::{unavailable, RealLibvirt};
use crate::support::{lab_uri, Lab};
use std::os::unix::fs::PermissionsExt;

/// The UUIDs of the fixture's win10 and win7 (tests/fixtures/lab.xml).
const WIN10: &str = "10101010-0000-4000-8000-000000000010";
const WIN7: &str = "10101010-0000-4000-8000-000000000007";

/// The arguments of `vms add NAME -c URI --domain DOMAIN --snapshot SNAPSHOT`.
fn add<'a>(name: &'a str, uri: &'a str, domain: &'a str, snapshot: &'a str) -> Vec<&'a str> {
    let args = ["vms", "add", name, "-c", uri, "--domain", domain];
    [&args[..], &["--snapshot", snapshot]].concat()
}

/// Each VM's name and stored domain UUID.
fn uuids(lab: &Lab) -> Vec<String> {
    lab.rows("SELECT name, coalesce(domain_uuid, '-') FROM vms ORDER BY name")
}

#[test]
fn a_missing_domain_or_snapshot_is_refused_unless_unchecked() {
    let lab = Lab::new();
    let uri = lab_uri();
    let run = lab.refused(&add("g", &uri, "ghost", "s"), 2);
    let expected = format!("error: VM `g`: domain `ghost` does not exist on `{uri}`");
    assert_eq!(run.one_line_error(), expected);
    assert!(run.stderr.contains("`--no-check` skips this check"));
    let run = lab.refused(&add("w", &uri, "win10", "nope"), 2);
    let expected = format!("error: VM `w`: domain `win10` has no snapshot `nope` on `{uri}`");
    assert_eq!(run.one_line_error(), expected);
    assert!(run
        .stderr
        .contains("hint: its snapshots: `wtb`, `wtb-de`, `wtb-fr`"));
    let run = lab.refused(&add("d", &uri, "debian", "wine"), 2);
    assert!(
        run.stderr.contains("hint: it has no snapshot"),
        "{}",
        run.stderr
    );
    assert_eq!(lab.dump(), "<no database>");

    let run = lab.run(&[&add("g", &uri, "ghost", "s")[..], &["--no-check"]].concat());
    assert_eq!(run.ok().stderr, "added VM `g` on `localhost` (off)\n");
    let run = lab.run(&add("w", &uri, "win10", "wtb")).ok();
    assert_eq!(run.stderr, "added VM `w` on `localhost` (off)\n");
    assert_eq!(uuids(&lab), ["g|-".to_string(), format!("w|{WIN10}")]);
}

#[test]
fn a_host_that_does_not_answer_only_warns() {
    let lab = Lab::new();
    let silent = silent_uri(&lab, "silent.sock");
    let args = [&["--timeout", "1"][..], &add("s", &silent, "d", "s")].concat();
    let run = lab.run(&args).ok();
    let lines: Vec<&str> = run.stderr.lines().collect();
    let warning = format!("warning: VM `s` not checked with libvirt on `{silent}`: ");
    assert!(lines[0].starts_with(&warning), "{}", run.stderr);
    assert!(lines[0].ends_with("within 1 s"), "{}", run.stderr);
    assert_eq!(lines[1..], ["added VM `s` on `localhost` (off)"]);
    let run = lab.run(&add("far", DEAD_URI, "far", "s")).ok();
    let warning = format!("warning: VM `far` not checked with libvirt on `{DEAD_URI}`: ");
    assert!(run.stderr.starts_with(&warning), "{}", run.stderr);
    assert_eq!(uuids(&lab), ["far|-", "s|-"]);
}

#[test]
fn a_uri_that_runs_a_program_it_names_is_never_connected_to() {
    let lab = Lab::new();
    lab.run(&["settings", "set", "allow_ext_uris", "true"]).ok();
    let ran = lab.path().join("ran");
    let program = lab.write(
        "connect",
        &format!("#!/bin/sh\ntouch '{}'\n", ran.display()),
    );
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    for uri in [
        format!("qemu+ext:///system?command={program}"),
        format!("qemu+ssh://h1/system?command={program}"),
    ] {
        let run = lab.run(&add("x", &uri, "d", "s")).ok();
        let warning = format!(
            "warning: VM `x` not checked with libvirt on `{uri}`: its transport runs a program \
             the URI names\nadded VM `x` on "
        );
        assert!(run.stderr.starts_with(&warning), "{}", run.stderr);
        assert!(!ran.exists(), "{uri} ran its program");
        lab.run(&["vms", "remove", "x"]).ok();
    }
}

#[test]
fn set_checks_a_new_domain_or_snapshot() {
    let lab = Lab::new();
    let uri = lab_uri();
    lab.run(&add("w", &uri, "win10", "wtb")).ok();
    let run = lab.refused(&["vms", "set", "w", "--snapshot", "nope"], 2);
    assert!(run
        .one_line_error()
        .contains("VM `w`: domain `win10` has no snapshot `nope` on"));
    let run = lab.refused(&["vms", "set", "w", "--domain", "ghost"], 2);
    assert!(run
        .one_line_error()
        .contains("VM `w`: domain `ghost` does not exist on"));
    lab.run(&["vms", "set", "w", "--domain", "win7"]).ok();
    assert_eq!(uuids(&lab), [format!("w|{WIN7}")]);
    let args = ["vms", "set", "w", "--domain", "ghost", "--no-check"];
    lab.run(&args).ok();
    assert_eq!(uuids(&lab), ["w|-"]);

    // An edit that keeps the domain and snapshot asks libvirt nothing: no wait, no warning.
    let silent = silent_uri(&lab, "silent.sock");
    lab.run(&[&add("s", &silent, "d", "s")[..], &["--no-check"]].concat())
        .ok();
    let args = ["--timeout", "1", "vms", "set", "s", "--description", "x"];
    assert_eq!(lab.run(&args).ok().stderr, "VM `s`: description=x\n");
}

/// An inventory of test-driver lab VMs given as (name, domain, snapshot), on `uri`.
fn inventory(uri: &str, vms: &[(&str, &str, &str)]) -> String {
    let entry = |(name, domain, snapshot): &(&str, &str, &str)| {
        format!("[[vm]]\nname = \"{name}\"\nuri = \"{uri}\"\ndomain = \"{domain}\"\nsnapshot = \"{snapshot}\"\n")
    };
    vms.iter().map(entry).collect()
}

#[test]
fn an_import_with_one_bad_entry_writes_nothing() {
    let lab = Lab::new();
    let uri = lab_uri();
    let vms = [
        ("w10", "win10", "wtb"),
        ("w10_fr", "win10", "wtb-fr"),
        ("b", "build", "nope"),
        ("w7", "win7", "wtb"),
    ];
    let file = lab.write("lab.toml", &inventory(&uri, &vms));
    for dry_run in [&[][..], &["--dry-run"]] {
        let args = [&["vms", "import", &file][..], dry_run].concat();
        let error = lab.refused(&args, 2).one_line_error();
        let expected = "lab.toml` line 15, field `snapshot`: VM `b`: domain `build` has no \
                        snapshot `nope`";
        assert!(error.contains(expected), "{error}");
    }
    assert_eq!(lab.dump(), "<no database>");
    let file = lab.write("lab.toml", &inventory(&uri, &vms).replace("nope", "clean"));
    lab.run(&["vms", "import", &file]).ok();
    let build = "10101010-0000-4000-8000-0000000000b1";
    let expected = [
        format!("b|{build}"),
        format!("w10|{WIN10}"),
        format!("w10_fr|{WIN10}"),
        format!("w7|{WIN7}"),
    ];
    assert_eq!(uuids(&lab), expected);
}

#[test]
fn an_import_asks_each_host_once_and_warns_once_per_host() {
    let lab = Lab::new();
    let silent = silent_uri(&lab, "silent.sock");
    let vms = [("a", "d1", "s"), ("b", "d1", "t"), ("c", "d2", "s")];
    let file = lab.write("lab.toml", &inventory(&silent, &vms));
    let run = lab.run(&["--timeout", "1", "vms", "import", &file]).ok();
    let lines: Vec<&str> = run.stderr.lines().collect();
    let warning = format!("warning: VMs `a`, `b`, `c` not checked with libvirt on `{silent}`: ");
    assert!(lines[0].starts_with(&warning), "{}", run.stderr);
    assert!(lines[1].ends_with("made 3 changes"), "{}", run.stderr);
    assert_eq!(lines.len(), 2, "{}", run.stderr);
}

#[test]
fn a_second_spelling_of_a_domain_is_refused_by_its_uuid() {
    let lab = Lab::new();
    let uri = lab_uri();
    // Another test-driver file with the same domains: libvirt gives the same UUIDs.
    let fixture = uri.strip_prefix("test://").unwrap();
    let copy = lab.write("lab.xml", &std::fs::read_to_string(fixture).unwrap());
    let copy = format!("test://{copy}");
    lab.run(&add("w10", &uri, "win10", "wtb")).ok();
    let run = lab.refused(&add("w10_fr", &copy, "win10", "wtb-fr"), 2);
    let expected = format!(
        "error: VM `w10_fr`: domain `win10` on `{copy}` is domain `win10` of VM `w10` on \
         `{uri}` (same UUID {WIN10})"
    );
    assert_eq!(run.one_line_error(), expected);
    let hint = format!("hint: spell it as VM `w10` does: `-c {uri} --domain win10`\n");
    assert!(run.stderr.ends_with(&hint), "{}", run.stderr);

    lab.run(&add("w10_fr", &uri, "win10", "wtb-fr")).ok();
    lab.refused(&["vms", "set", "w10_fr", "--uri", &copy], 2);
    let file = lab.write("lab.toml", &inventory(&copy, &[("w7", "win10", "wtb")]));
    let error = lab.refused(&["vms", "import", &file], 2).one_line_error();
    assert!(error.contains("VM `w7`: domain `win10` on"), "{error}");
}

#[test]
fn qemu_system_and_session_are_one_domain_to_root() {
    const TEST: &str = "qemu_system_and_session_are_one_domain_to_root";
    let hv = if nix::unistd::geteuid().is_root() {
        RealLibvirt::qemu(TEST)
    } else {
        unavailable(
            TEST,
            "qemu:///session is another daemon to a user who is not root",
        )
    };
    let Some(hv) = hv else {
        return;
    };
    let domain = hv.domain("uuid", "d", &["s"]);
    let lab = Lab::new();
    lab.run(&add("a", hv.uri, &domain.name, "s")).ok();
    let run = lab.refused(&add("b", "qemu:///session", &domain.name, "s"), 2);
    let expected = format!(
        "VM `b`: domain `{0}` on `qemu:///session` is domain `{0}` of VM `a` on `{1}`",
        domain.name, hv.uri
    );
    assert!(run.one_line_error().contains(&expected), "{}", run.stderr);
}
