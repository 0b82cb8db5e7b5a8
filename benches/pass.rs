//! The scheduling-pass benchmark: at each lab size it measures
//! (a) `plan` on an in-memory state, (b) `vmsched schedule-once --dry-run --state FILE` and
//! (c) `vmsched schedule-once --dry-run --db FILE` as spawned processes, beside two baselines
//! run in the same interleaved loop: python3 parsing the state file and the sqlite3 shell
//! selecting every VM, job, step and task row. Wall times are medians; peak memory is the
//! children's `ru_maxrss` from wait4, and the core's peak heap from a counting allocator.
//!
//! ```text
//! cargo bench --bench pass                          # all sizes, 11 runs each
//! cargo bench --bench pass -- --sizes 100k --runs 21
//! cargo bench --bench pass -- --bin /path/to/other/vmsched   # the same labs, another build
//! cargo bench --bench pass -- --compare /path/to/old/vmsched # (b) and (c) of both, interleaved
//! cargo bench --bench pass -- --lab-only --dir /tmp/lab      # only write the lab files
//! ```

mod lab;

use lab::{GeneratedLab, Size, SIZES};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};
use vmsched::cli::Format;
use vmsched::output::Output;
use vmsched::scheduler::plan;

/// Counts live heap bytes and their peak, so the core's own memory can be reported.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(live, Relaxed);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            if new_size >= layout.size() {
                let live =
                    LIVE.fetch_add(new_size - layout.size(), Relaxed) + new_size - layout.size();
                PEAK.fetch_max(live, Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Heap bytes `f` needed above what was live when it began.
fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let value = f();
    (value, PEAK.load(Relaxed) - base)
}

struct Options {
    sizes: Vec<Size>,
    runs: usize,
    dir: PathBuf,
    bin: PathBuf,
    /// Another build whose (b) and (c) run in the same loop, for before/after figures.
    compare: Option<PathBuf>,
    lab_only: bool,
}

fn options() -> Options {
    let mut o = Options {
        sizes: SIZES.to_vec(),
        runs: 11,
        dir: Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-lab"),
        bin: PathBuf::from(env!("CARGO_BIN_EXE_vmsched")),
        compare: None,
        lab_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&arg));
        match arg.as_str() {
            "--sizes" => {
                o.sizes = value()
                    .split(',')
                    .map(|name| {
                        *SIZES
                            .iter()
                            .find(|s| s.name == name)
                            .unwrap_or_else(|| usage(name))
                    })
                    .collect()
            }
            "--runs" => o.runs = value().parse().unwrap_or_else(|_| usage("--runs")),
            "--dir" => o.dir = PathBuf::from(value()),
            "--bin" => o.bin = PathBuf::from(value()),
            "--compare" => o.compare = Some(PathBuf::from(value())),
            "--lab-only" => o.lab_only = true,
            // cargo bench passes --bench to every bench binary.
            "--bench" => {}
            other => usage(other),
        }
    }
    o
}

fn usage(what: &str) -> ! {
    eprintln!(
        "error: bad argument `{what}`\nusage: pass [--sizes 1k,10k,100k] [--runs N] [--dir DIR] \
         [--bin VMSCHED] [--compare VMSCHED] [--lab-only]"
    );
    std::process::exit(2)
}

/// The median of some durations.
fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Median and minimum of an in-process stage (noise only ever adds time, so the minimum is
/// the steadiest figure on a shared machine).
#[derive(Clone, Copy)]
struct Timing {
    median: Duration,
    min: Duration,
}

impl std::fmt::Display for Timing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", ms(self.median), ms(self.min))
    }
}

/// Times `f` over `runs` runs after one warm-up run; what it returns is dropped untimed.
fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> Timing {
    drop(f());
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let value = f();
        times.push(start.elapsed());
        drop(value);
    }
    Timing {
        min: *times.iter().min().expect("at least one run"),
        median: median(times),
    }
}

/// Runs a command to its end with stdout discarded; returns its wall time and peak RSS (KiB).
/// It runs under `/usr/bin/time -f %M`: a child's peak RSS includes the image it was forked
/// from (the kernel keeps the larger of the two at exec), so it is forked from that small
/// process rather than from this one, which holds a whole lab.
fn measure(argv: &[&std::ffi::OsStr]) -> (Duration, u64) {
    let report = std::env::temp_dir().join(format!("vmsched-bench-rss-{}", std::process::id()));
    let start = Instant::now();
    let status = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .args(argv)
        .stdout(Stdio::null())
        .stdin(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot start /usr/bin/time {argv:?}: {e}"));
    let wall = start.elapsed();
    assert!(status.success(), "{argv:?} failed ({status})");
    let text = std::fs::read_to_string(&report).expect("the report of /usr/bin/time");
    let _ = std::fs::remove_file(&report);
    let rss = text.trim().lines().last().and_then(|l| l.parse().ok());
    (
        wall,
        rss.unwrap_or_else(|| panic!("bad /usr/bin/time report {text:?}")),
    )
}

/// The Python interpreter itself: `python3` may be a shell shim (pyenv) that would add its
/// own start-up to the baseline.
fn python() -> PathBuf {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 is needed for the baseline");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Medians of one measured command over the runs.
#[derive(Default)]
struct Series {
    times: Vec<Duration>,
    rss: Vec<u64>,
}

impl Series {
    fn add(&mut self, (time, rss): (Duration, u64)) {
        self.times.push(time);
        self.rss.push(rss);
    }
    fn time(&self) -> Duration {
        median(self.times.clone())
    }
    fn rss_mib(&self) -> f64 {
        *self.rss.iter().max().unwrap_or(&0) as f64 / 1024.0
    }
}

/// Everything measured at one size.
struct Row {
    size: Size,
    vms: usize,
    queued: usize,
    rows: usize,
    state_bytes: u64,
    db_bytes: u64,
    parse: Timing,
    load: Timing,
    plan: Timing,
    plan_heap: usize,
    print: Timing,
    actions: usize,
    state_cmd: Series,
    db_cmd: Series,
    python: Series,
    sqlite: Series,
    /// (b) and (c) of the `--compare` build.
    old_state_cmd: Series,
    old_db_cmd: Series,
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

fn main() {
    let o = options();
    std::fs::create_dir_all(&o.dir).expect("cannot create the lab folder");
    let mut rows = Vec::new();
    for &size in &o.sizes {
        let lab = lab::generate(size, 5);
        let state_file = o.dir.join(format!("lab-{}.json", size.name));
        let db_file = o.dir.join(format!("lab-{}.db", size.name));
        lab::write_state(&lab, &state_file).expect("cannot write the state file");
        lab::write_db(&lab, &db_file).expect("cannot write the database");
        eprintln!(
            "lab {}: {} VMs, {} queued tasks: {} and {}",
            size.name,
            lab.state.vms.len(),
            lab.queued(),
            state_file.display(),
            db_file.display()
        );
        check_same_state(&o.bin, &state_file, &db_file);
        if !o.lab_only {
            rows.push(bench(&o, size, &lab, &state_file, &db_file));
        }
    }
    if !o.lab_only {
        report(&o, &rows);
    }
}

/// The database holds the very state of the state file: `state export` prints it back.
fn check_same_state(bin: &Path, state_file: &Path, db_file: &Path) {
    let out = Command::new(bin)
        .args(["--format", "json", "state", "export", "--db"])
        .arg(db_file)
        .output()
        .expect("cannot run vmsched state export");
    assert!(out.status.success(), "state export failed");
    let exported: serde_json::Value = serde_json::from_slice(&out.stdout).expect("export JSON");
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state_file).expect("state file")).expect("JSON");
    assert!(
        exported == written,
        "the database and the state file differ"
    );
}

fn bench(o: &Options, size: Size, lab: &GeneratedLab, state_file: &Path, db_file: &Path) -> Row {
    let runs = o.runs.max(1);
    let text = std::fs::read_to_string(state_file).expect("state file");
    // In-process breakdown, each stage run back to back after one warm-up run.
    let out = Output {
        format: Format::Table,
        quiet: true,
        verbose: 0,
        progress: false,
    };
    let parse = timed(runs, || {
        vmsched::model::State::from_json(&text).expect("valid state")
    });
    let store = vmsched::store::Store::open(db_file, vmsched::store::Mode::Existing)
        .expect("open the database");
    let load = timed(runs, || {
        let settings = vmsched::store::settings::load(store.conn()).expect("settings");
        vmsched::pass::judge(store.conn(), &settings).expect("load")
    });
    drop(store);
    let plans = timed(runs, || plan(&lab.state));
    let (p, plan_heap) = peak_heap(|| plan(&lab.state));
    let print = timed(runs, || {
        let mut sink = Vec::with_capacity(1 << 20);
        vmsched::commands::schedule::print_plan(out, &p, &mut sink).expect("print");
        sink
    });
    // The commands and their baselines, interleaved so machine load hits them alike.
    let mut row = Row {
        size,
        vms: lab.state.vms.len(),
        queued: lab.queued(),
        rows: lab.rows(),
        state_bytes: std::fs::metadata(state_file).map_or(0, |m| m.len()),
        db_bytes: std::fs::metadata(db_file).map_or(0, |m| m.len()),
        parse,
        load,
        plan: plans,
        plan_heap,
        print,
        actions: p.actions.len(),
        state_cmd: Series::default(),
        db_cmd: Series::default(),
        python: Series::default(),
        sqlite: Series::default(),
        old_state_cmd: Series::default(),
        old_db_cmd: Series::default(),
    };
    let select = "SELECT * FROM vms; SELECT * FROM jobs; SELECT * FROM steps; SELECT * FROM tasks;";
    let python = python();
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    let (bin, state_file, db_file) = (
        o.bin.as_os_str(),
        state_file.as_os_str(),
        db_file.as_os_str(),
    );
    let plan_state = [
        bin,
        os("schedule-once"),
        os("--dry-run"),
        os("--state"),
        state_file,
    ];
    let parse = "import json,sys; json.load(open(sys.argv[1]))";
    let parse_json = [python.as_os_str(), os("-c"), os(parse), state_file];
    let plan_db = [
        bin,
        os("schedule-once"),
        os("--dry-run"),
        os("--db"),
        db_file,
    ];
    let select_all = [os("sqlite3"), db_file, os(select)];
    let old = o.compare.as_ref().map(|old| {
        let mut state = plan_state;
        let mut db = plan_db;
        state[0] = old.as_os_str();
        db[0] = old.as_os_str();
        (state, db)
    });
    for _ in 0..runs {
        row.state_cmd.add(measure(&plan_state));
        row.python.add(measure(&parse_json));
        row.db_cmd.add(measure(&plan_db));
        row.sqlite.add(measure(&select_all));
        if let Some((state, db)) = &old {
            row.old_state_cmd.add(measure(state));
            row.old_db_cmd.add(measure(db));
        }
    }
    eprintln!(
        "  {}: plan {} ms, --state {} ms, --db {} ms",
        size.name,
        ms(row.plan.median),
        ms(row.state_cmd.time()),
        ms(row.db_cmd.time())
    );
    row
}

fn report(o: &Options, rows: &[Row]) {
    println!("binary: {}", o.bin.display());
    println!("python3: {}", python().display());
    println!(
        "runs per figure: {} (median wall time, max peak RSS)",
        o.runs
    );
    println!();
    println!("| size | VMs | queued tasks | rows | actions | state file MiB | DB MiB |");
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.size.name,
            r.vms,
            r.queued,
            r.rows,
            r.actions,
            mib(r.state_bytes),
            mib(r.db_bytes)
        );
    }
    println!();
    println!("In-process, ms median / min: parse = `State::from_json`, load = `pass::judge` on the database, plan = `plan`, print = the table");
    println!();
    println!("| size | parse | load | (a) plan | plan peak heap MiB | print |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.size.name,
            r.parse,
            r.load,
            r.plan,
            mib(r.plan_heap as u64),
            r.print
        );
    }
    println!();
    println!("Spawned processes: wall ms / peak RSS MiB");
    println!();
    println!("| size | (b) --state | python3 json.load | (c) --db | sqlite3 SELECT * |");
    println!("|---|---|---|---|---|");
    for r in rows {
        let cell = |s: &Series| format!("{} / {:.1}", ms(s.time()), s.rss_mib());
        println!(
            "| {} | {} | {} | {} | {} |",
            r.size.name,
            cell(&r.state_cmd),
            cell(&r.python),
            cell(&r.db_cmd),
            cell(&r.sqlite)
        );
    }
    println!();
    println!("Targets (side by side, same runs):");
    println!();
    println!(
        "| size | (b) / python (< 1) | (c) / sqlite3 (<= 3) | (c) peak RSS / DB size (< 10) |"
    );
    println!("|---|---|---|---|");
    for r in rows {
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        let rss = r.db_cmd.rss_mib() * 1024.0 * 1024.0 / r.db_bytes as f64;
        println!(
            "| {} | {:.2} | {:.2} | {:.2} |",
            r.size.name,
            ratio(r.state_cmd.time(), r.python.time()),
            ratio(r.db_cmd.time(), r.sqlite.time()),
            rss
        );
    }
    if let Some(old) = &o.compare {
        println!();
        println!(
            "Before / after, same runs: `--compare` build {}",
            old.display()
        );
        println!();
        println!("| size | (b) before ms / MiB | (b) after ms / MiB | (c) before ms / MiB | (c) after ms / MiB |");
        println!("|---|---|---|---|---|");
        for r in rows {
            let cell = |s: &Series| format!("{} / {:.1}", ms(s.time()), s.rss_mib());
            println!(
                "| {} | {} | {} | {} | {} |",
                r.size.name,
                cell(&r.old_state_cmd),
                cell(&r.state_cmd),
                cell(&r.old_db_cmd),
                cell(&r.db_cmd)
            );
        }
    }
    if rows.len() > 1 {
        println!();
        println!("Growth: time ratio (and time ratio / rows ratio, <= 1.4 means at most 14x the time for 10x the work) between sizes; (a) from the minimum, (b) and (c) from the medians");
        println!();
        println!("| from → to | rows × | (a) plan | (b) --state | (c) --db |");
        println!("|---|---|---|---|---|");
        for pair in rows.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let work = b.rows as f64 / a.rows as f64;
            let grow = |x: Duration, y: Duration| {
                let t = y.as_secs_f64() / x.as_secs_f64();
                format!("{t:.1}× ({:.2})", t / work)
            };
            println!(
                "| {} → {} | {work:.1} | {} | {} | {} |",
                a.size.name,
                b.size.name,
                grow(a.plan.min, b.plan.min),
                grow(a.state_cmd.time(), b.state_cmd.time()),
                grow(a.db_cmd.time(), b.db_cmd.time())
            );
        }
    }
}
