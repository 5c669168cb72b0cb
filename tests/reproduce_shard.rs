//! `reproduce --shard i/N` + `merge` (issue 28): the merged report is the unsharded one byte
//! for byte, and a missing, duplicated or mismatched shard file is refused (exit 2) naming
//! the file. C7 trains (so the merge replays stored runs), C9 does not.

use std::path::Path;
use std::process::Command;

fn phaseflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_phaseflow"))
        .args(args)
        .output()
        .expect("runs")
}

fn shard(dir: &Path, i: usize, n: usize) {
    let spec = format!("{i}/{n}");
    let o = phaseflow(&[
        "reproduce",
        "--claims",
        "C7,C9",
        "--replicas",
        "3",
        "--shard",
        &spec,
        "--out",
        dir.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn sharded_reproduction_merges_to_the_unsharded_report() {
    let tmp = std::env::temp_dir().join(format!("phaseflow-rshard-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let shards = tmp.join("shards");
    for i in 0..3 {
        shard(&shards, i, 3);
    }
    let un = phaseflow(&[
        "reproduce",
        "--claims",
        "C7,C9",
        "--replicas",
        "3",
        "--json",
        "--out",
        tmp.join("un").to_str().unwrap(),
    ]);
    let merged = phaseflow(&[
        "merge",
        shards.to_str().unwrap(),
        "--json",
        "--out",
        tmp.join("mg").to_str().unwrap(),
    ]);
    assert_eq!(un.status.code(), merged.status.code());
    assert!(!un.stdout.is_empty());
    assert!(un.stdout == merged.stdout, "merged report differs");
    // A shard of another seed: refused, naming the file.
    let other = tmp.join("other");
    std::fs::create_dir_all(&other).unwrap();
    let text = std::fs::read_to_string(shards.join("reproduce-shard-1-of-3.json")).unwrap();
    for i in [0, 2] {
        let f = format!("reproduce-shard-{i}-of-3.json");
        std::fs::copy(shards.join(&f), other.join(&f)).unwrap();
    }
    std::fs::write(
        other.join("reproduce-shard-1-of-3.json"),
        text.replacen("\"seed\": 0", "\"seed\": 1", 1),
    )
    .unwrap();
    let o = phaseflow(&["merge", other.to_str().unwrap(), "--quiet"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("reproduce-shard-1-of-3.json"), "{err}");
    // A missing shard: refused, naming it.
    std::fs::remove_file(other.join("reproduce-shard-1-of-3.json")).unwrap();
    let o = phaseflow(&["merge", other.to_str().unwrap(), "--quiet"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("1/3"), "{err}");
    // A shard file whose runs were removed: the merge refuses to train.
    let gone = tmp.join("gone");
    std::fs::create_dir_all(&gone).unwrap();
    for i in 0..3 {
        let f = format!("reproduce-shard-{i}-of-3.json");
        let t = std::fs::read_to_string(shards.join(&f)).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&t).unwrap();
        v["runs"] = serde_json::json!([]);
        std::fs::write(gone.join(&f), serde_json::to_string(&v).unwrap()).unwrap();
    }
    let o = phaseflow(&["merge", gone.to_str().unwrap(), "--quiet"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no shard file holds"), "{err}");
    let _ = std::fs::remove_dir_all(&tmp);
}
