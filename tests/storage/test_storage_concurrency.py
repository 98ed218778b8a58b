import itertools
import subprocess
import sys
import threading
from pathlib import Path

from storage import Store

ROOT = Path(__file__).resolve().parents[2]
TURNS = 200
WORKER = """
import sys, time
from pathlib import Path
from storage import Store

data_dir, app_id, name = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
with Store(data_dir) as store:
    (data_dir / f"ready-{name}").touch()
    while len(list(data_dir.glob("ready-*"))) < 2:
        time.sleep(0.005)
    for i in range(int(sys.argv[4])):
        time.sleep(0.001)  # the engine's work between turns; lets the two writers interleave
        store.record_turn(
            app_id, channel=name, kind="answer", payload={"i": i}, accepted=True, state={"last": [name, i]}
        )
"""


def test_two_processes_write_concurrently_without_lock_errors(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Store(data_dir) as store:
        app = store.create_application("f", None, "web", {})
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(data_dir), app.id, name, str(TURNS)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("w1", "w2")
    ]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert "locked" not in err
        assert proc.returncode == 0, err
    with Store(data_dir) as store:
        final = store.get(app.id)
        events = store.events(app.id)
    assert final is not None and final.event_count == 2 * TURNS
    assert len(events) == 2 * TURNS
    for name in ("w1", "w2"):
        assert [e.payload["i"] for e in events if e.channel == name] == list(range(TURNS))
    switches = sum(1 for a, b in itertools.pairwise(events) if a.channel != b.channel)
    assert switches > 10, "the two writers did not actually overlap"
    last = events[-1]
    assert final.state == {"last": [last.channel, last.payload["i"]]}


def test_one_store_shared_by_threads(store: Store) -> None:
    app = store.create_application("f", None, "web", {})

    def work(name: str) -> None:
        for i in range(50):
            store.record_turn(app.id, channel=name, kind="answer", payload={"i": i}, accepted=True, state={})

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = store.get(app.id)
    assert final is not None and final.event_count == 200 == len(store.events(app.id))
