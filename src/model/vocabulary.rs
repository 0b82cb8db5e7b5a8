//! The vocabulary of the database, the JSON and the tables: the closed sets of lower-case words
//! (VM status, role, worker verdict, task status, operation kind, and why the scheduler marks
//! a VM, kills a worker or powers a VM off), each an enum spelt once with its parsing, printing
//! and serde support, so no status or reason is matched or built as free text.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Declares an enum whose values are spelt as lower-case words, with `as_str`, `Display`,
/// `FromStr` and serde support, so every word is spelt in one place.
macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }
        impl $name {
            /// Every word, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every word as text, in declaration order.
            pub const WORDS: &'static [&'static str] = &[$($word),+];
            /// The word used in the database, JSON and tables.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        /// As its word, which may hold a space (`stuck process`).
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        /// From a word only (serde's derive says just "expected value" for a number).
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Word;
                impl serde::de::Visitor<'_> for Word {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "one of `{}`", $name::WORDS.join("`, `"))
                    }
                    fn visit_str<E: serde::de::Error>(self, word: &str) -> Result<$name, E> {
                        word.parse().map_err(|_| E::unknown_variant(word, $name::WORDS))
                    }
                }
                deserializer.deserialize_str(Word)
            }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $(if s == $word { return Ok($name::$variant); })+
                let all: Vec<&str> = $name::ALL.iter().map(|w| w.as_str()).collect();
                Err(format!("unknown {} `{s}` (expected one of: {})", stringify!($name).to_lowercase(), all.join(", ")))
            }
        }
    };
}

word_enum!(
    /// The status of a VM instance (docs/rules.md §2).
    VmStatus {
        Off = "off", Reverting = "reverting", Sleeping = "sleeping", Idle = "idle",
        Running = "running", Dirty = "dirty", Offline = "offline", Maintenance = "maintenance",
    }
);

word_enum!(
    /// What work a VM instance is used for; `retired` and `deleted` are disabled.
    Role { Base = "base", Winetest = "winetest", Extra = "extra", Retired = "retired", Deleted = "deleted" }
);

word_enum!(
    /// The liveness verdict of a VM's recorded worker, decided by the shell (docs/rules.md §3).
    Child { None = "none", Alive = "alive", Dead = "dead", Stuck = "stuck" }
);

word_enum!(
    /// Status of a task, and by roll-up of a step or job (docs/rules.md §1.2).
    TaskStatus {
        Queued = "queued", Running = "running", Completed = "completed", Failed = "failed",
        Timeout = "timeout", Boterror = "boterror", Canceled = "canceled", Skipped = "skipped",
    }
);

word_enum!(
    /// What a recorded operation does: the worker (or admin command) that carries it out.
    OpKind { Revert = "revert", Poweroff = "poweroff", Monitor = "monitor", Task = "task" }
);

word_enum!(
    /// Why the scheduler powers a VM off: to make room for another (`sacrifice`), or because
    /// it is dirty and nobody reverts it (`dirty`).
    PoweroffReason { Sacrifice = "sacrifice", Dirty = "dirty" }
);

word_enum!(
    /// Why the scheduler sets a VM's status without an operation (docs/rules.md §3): the
    /// reason of a `mark` action, in the dry-run's line and the history's detail.
    MarkReason {
        Disabled = "disabled", StuckProcess = "stuck process",
        UnexpectedProcess = "unexpected process", ProcessDied = "process died",
        Conflict = "conflict",
    }
);

word_enum!(
    /// Why the scheduler kills a VM's worker (docs/rules.md §3): the reason of a `kill`
    /// action, in the dry-run's line, the history's detail and the operation's result.
    KillReason {
        StuckProcess = "stuck process", UnexpectedProcess = "unexpected process",
        Conflict = "conflict",
    }
);

impl Child {
    /// A process still acts on the VM: alive, or stuck until it is killed.
    pub fn is_live(self) -> bool {
        matches!(self, Child::Alive | Child::Stuck)
    }
}

impl Role {
    /// Retired and deleted VMs are never scheduled.
    pub fn is_enabled(self) -> bool {
        !matches!(self, Role::Retired | Role::Deleted)
    }
}

impl VmStatus {
    /// Statuses an admin may set with `vms set --status` (never one that needs a worker).
    pub fn admin_settable(self) -> bool {
        matches!(
            self,
            VmStatus::Off
                | VmStatus::Dirty
                | VmStatus::Idle
                | VmStatus::Offline
                | VmStatus::Maintenance
        )
    }
}

impl TaskStatus {
    /// Queued and running tasks are not finished yet.
    pub fn is_done(self) -> bool {
        !matches!(self, TaskStatus::Queued | TaskStatus::Running)
    }
}
