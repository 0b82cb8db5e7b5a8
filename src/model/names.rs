//! Checks of names and text fields, and libvirt URIs: the host key limits are counted by and
//! the identity of a domain across spellings of its URI.

use super::escape_controls;

/// Checks a VM name: `[A-Za-z0-9_.-]{1,64}`.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid VM name `{}` (1 to 64 of A-Z a-z 0-9 _ . -)",
            escape_controls(name)
        ))
    }
}

/// Checks a text field of a VM (`domain`, `snapshot`, `kind`, `hostname`): not blank, no
/// control character.
pub fn check_text(field: &str, value: &str, vm: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("empty {field} for VM `{vm}`"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{field} `{}` of VM `{vm}` contains a control character",
            escape_controls(value)
        ));
    }
    Ok(())
}

/// Checks a host key as `hosts` and the state file hold it: a lower-case host[:port], as
/// `host_key` makes it from a URI.
pub fn check_host_key(key: &str) -> Result<(), String> {
    let valid = !key.contains(['/', '@', '?', '#'])
        && host_key(&format!("qemu+ssh://{key}/system")).is_ok_and(|k| k == key);
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid host key `{key}` (expected a lower-case host[:port], as in the VMs' URIs)"
        ))
    }
}

/// Whether a URI's domains keep their state from one connection to the next. libvirt's
/// in-process test driver (`test:///default`, `test:///PATH.xml`) starts every connection
/// from its initial state, so what one connection changed, the next cannot check: on it the
/// snapshot checks before a task and for an admin's `--status idle` prove nothing and are
/// skipped (use `test+unix:///default` through a daemon, or a real hypervisor).
pub fn keeps_state(uri: &str) -> bool {
    !uri.starts_with("test:")
}

/// The host key of a libvirt URI: lower-cased host[:port], `localhost` when empty
/// (docs/rules.md §1.1). Fails on a URI without a scheme or a path.
pub fn host_key(uri: &str) -> Result<String, String> {
    // The URL parser drops spaces at the ends and tabs and line breaks anywhere; libvirt would
    // not.
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "malformed URI `{}`: contains a space or a control character",
            escape_controls(uri)
        ));
    }
    let parsed = url::Url::parse(uri).map_err(|e| format!("malformed URI `{uri}`: {e}"))?;
    if parsed.path().len() < 2 {
        return Err(format!(
            "malformed URI `{uri}`: no path (e.g. `qemu:///system`)"
        ));
    }
    let host = parsed.host_str().unwrap_or("").to_ascii_lowercase();
    let host = if host.is_empty() {
        "localhost".to_string()
    } else {
        host
    };
    Ok(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// The identity of a domain across spellings of its URI: host key, URI path and domain name.
/// Two registered URIs with the same identity but different text would defeat ownership.
pub fn domain_identity(uri: &str, domain: &str) -> Result<(String, String, String), String> {
    let parsed = url::Url::parse(uri).map_err(|e| format!("malformed URI `{uri}`: {e}"))?;
    Ok((
        host_key(uri)?,
        parsed.path().to_string(),
        domain.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_keys() {
        assert_eq!(host_key("qemu:///system").unwrap(), "localhost");
        assert_eq!(
            host_key("qemu+ssh://root@H1:2222/system").unwrap(),
            "h1:2222"
        );
        assert_eq!(host_key("test:///tmp/lab.xml").unwrap(), "localhost");
        assert!(host_key("nonsense").is_err());
        assert!(host_key("qemu+ssh://h1").is_err());
    }
}
