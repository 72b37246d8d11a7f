# Drives the original Python `snowfall` package (1.0.7) for the interop tests.
#   python python-instance.py '{"action": "create", "url": ..., "group": ..., "probe": 5}'
#       creates a schema group the way the original does; prints {"ok": true}
#   python python-instance.py '{"action": "hold", "url": ..., "group": ...}'
#       a Snowfall instance on a DatabaseSyncer: prints {"generatorId": n, "guids": [...]} once it
#       holds an id, then keeps heartbeating (its background job) until stdin closes.
import json
import sys
from datetime import datetime

from snowfall import Snowfall
from snowfall.generator_syncers import DatabaseSyncer

cmd = json.loads(sys.argv[1])
if cmd["action"] == "create":
    DatabaseSyncer.create_schema_group(
        schema_group_name=cmd["group"],
        liveliness_probe_s=cmd.get("probe", 5),
        epoch_start_date=datetime(2020, 1, 1),
        engine_url=cmd["url"],
    )
    print(json.dumps({"ok": True}), flush=True)
elif cmd["action"] == "hold":
    sf = Snowfall(generator_syncer_type=DatabaseSyncer, engine_url=cmd["url"], schema_group_name=cmd["group"])
    guids = [str(sf.get_guid()) for _ in range(3)]
    print(json.dumps({"generatorId": sf.generator_id, "guids": guids}), flush=True)
    sys.stdin.read()  # hold (heartbeating in the background) until the test closes stdin
    sf.generator_syncer.scheduler.shutdown(wait=False)
