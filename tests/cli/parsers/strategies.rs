//! The random inputs of the parser tests: JSON and TOML values whose keys and strings are
//! mostly known ones, and random edits of a JSON value or of a file's bytes.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value as Json;

/// Every key the three formats know, so that random documents often hit a real field.
const KEYS: &[&str] = &[
    "limits",
    "hosts",
    "max_active",
    "max_running",
    "max_reverting",
    "max_reverts_while_running",
    "max_vms_when_idle",
    "paused",
    "max_errors",
    "max_task_tries",
    "revert_timeout",
    "vms",
    "jobs",
    "name",
    "kind",
    "role",
    "status",
    "uri",
    "domain",
    "snapshot",
    "child",
    "errors",
    "monitor_due",
    "id",
    "priority",
    "steps",
    "no",
    "previous",
    "tasks",
    "vm",
    "timeout",
    "tries",
    "hostname",
    "description",
    "ready_cmd",
    "remarks",
    "step",
    "after",
    "command",
    "h1",
    "localhost",
    "*",
    "bogus",
];

/// Strings that mean something somewhere: VM names, status and role words, URIs, and some
/// that are bad in one way or another.
const WORDS: &[&str] = &[
    "w10",
    "w10_fr",
    "build",
    "off",
    "idle",
    "running",
    "queued",
    "base",
    "retired",
    "alive",
    "qemu:///system",
    "qemu://localhost/system",
    "qemu+ssh://h1/system",
    "qemu+ssh://h1",
    "nonsense",
    "",
    " ",
    "a b",
    "a/b",
    "line\nbreak",
    "nul\0byte",
    "esc\u{1b}[31m",
    "\u{feff}",
    "ünïcödé",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(KEYS).prop_map(str::to_string),
        1 => "\\PC{0,6}",
    ]
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(WORDS).prop_map(str::to_string),
        1 => "\\PC{0,8}",
        1 => ".{0,4}",
    ]
}

fn number() -> impl Strategy<Value = i64> {
    prop_oneof![
        select(vec![
            0i64,
            1,
            2,
            3,
            5,
            300,
            -1,
            i64::MAX,
            i64::MIN,
            u32::MAX as i64 + 1
        ]),
        any::<i64>(),
    ]
}

/// Any JSON value, keys mostly known ones.
pub fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        number().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        word().prop_map(Json::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Json::Array),
            vec((key(), inner), 0..6).prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

/// Any TOML value (no dates), keys mostly known ones.
fn toml_value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(toml::Value::Boolean),
        number().prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        word().prop_map(toml::Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(toml::Value::Array),
            vec((key(), inner), 0..6).prop_map(|kv| toml::Value::Table(kv.into_iter().collect())),
        ]
    })
}

/// A TOML document: a table of any values (or of tables and arrays of tables).
pub fn toml_document() -> impl Strategy<Value = String> {
    vec((key(), toml_value()), 0..6).prop_filter_map("not representable", |kv| {
        toml::to_string(&toml::Table::from_iter(kv)).ok()
    })
}

/// Which node of a JSON value to change, and to what.
#[derive(Clone, Debug)]
pub enum Edit {
    Replace(Json),
    Remove,
    Insert(String, Json),
}

pub fn edit() -> impl Strategy<Value = (Vec<usize>, Edit)> {
    let edit = prop_oneof![
        3 => json().prop_map(Edit::Replace),
        1 => Just(Edit::Remove),
        1 => (key(), json()).prop_map(|(k, v)| Edit::Insert(k, v)),
    ];
    (vec(any::<usize>(), 0..7), edit)
}

/// Applies an edit at the node a path leads to: each step picks a child (modulo their number)
/// and the walk stops early at a leaf.
pub fn apply(value: &mut Json, path: &[usize], edit: Edit) {
    let children = match value {
        Json::Array(items) => items.len(),
        Json::Object(map) => map.len(),
        _ => 0,
    };
    let Some((&first, rest)) = path.split_first().filter(|_| children > 0) else {
        match edit {
            Edit::Replace(v) => *value = v,
            Edit::Insert(k, v) => {
                if let Json::Object(map) = value {
                    map.insert(k, v);
                }
            }
            Edit::Remove => *value = Json::Null,
        }
        return;
    };
    let i = first % children;
    match (value, &edit) {
        (Json::Array(items), Edit::Remove) if rest.is_empty() => {
            items.remove(i);
        }
        (Json::Object(map), Edit::Remove) if rest.is_empty() => {
            let k = map.keys().nth(i).unwrap().clone();
            map.remove(&k);
        }
        (Json::Array(items), _) => apply(&mut items[i], rest, edit),
        (Json::Object(map), _) => apply(map.values_mut().nth(i).unwrap(), rest, edit),
        _ => unreachable!(),
    }
}

/// Random byte edits of a valid text: (where, as a fraction of its length; what).
#[derive(Clone, Debug)]
pub enum ByteEdit {
    Delete(usize),
    Insert(u8),
    Replace(u8),
    Truncate,
}

pub fn byte_edits() -> impl Strategy<Value = Vec<(f64, ByteEdit)>> {
    let interesting = select(b"\0\n\r\t\"'[]{}=,:.#\\ -0123456789eE\x7f\xff\xef\xbb\xbf".to_vec());
    let byte = prop_oneof![interesting, any::<u8>()];
    let edit = prop_oneof![
        3 => (1usize..8).prop_map(ByteEdit::Delete),
        3 => byte.clone().prop_map(ByteEdit::Insert),
        3 => byte.prop_map(ByteEdit::Replace),
        1 => Just(ByteEdit::Truncate),
    ];
    vec((0.0..1.0f64, edit), 1..5)
}

pub fn edited(text: &str, edits: &[(f64, ByteEdit)]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for (at, edit) in edits {
        let i = ((bytes.len() as f64) * at) as usize;
        let i = i.min(bytes.len().saturating_sub(1));
        match *edit {
            ByteEdit::Delete(n) => {
                let end = (i + n).min(bytes.len());
                bytes.drain(i.min(end)..end);
            }
            ByteEdit::Insert(b) => bytes.insert(i, b),
            ByteEdit::Replace(b) if i < bytes.len() => bytes[i] = b,
            ByteEdit::Replace(b) => bytes.push(b),
            ByteEdit::Truncate => bytes.truncate(i),
        }
    }
    bytes
}
