"""Traffic evidence in each format, written here as Istio and Prometheus write it.

The text lines follow Istio's default access log format (22 fields, ``-`` for empty ones);
the JSON lines its JSON encoding's keys; the Prometheus replies the HTTP API's vector and
matrix results over ``istio_requests_total`` and ``istio_tcp_connections_opened_total``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from sidecar_model.errors import SidecarModelError
from sidecar_model.traffic import Call, Outcome, Traffic, TrafficError

if TYPE_CHECKING:
    from pathlib import Path

HTTP_LINE = (
    '[2026-05-04T09:12:01.113Z] "GET /products HTTP/1.1" 200 - via_upstream - "-" 0 5120 14 13 '
    '"-" "curl/8.5.0" "6f1c2a9e-7b7d-4c55-9d3e-1f0a2b3c4d5e" "catalog.shop:8080" '
    '"10.244.1.11:8080" outbound|8080|v1|catalog.shop.svc.cluster.local 10.244.1.10:43210 '
    "10.96.40.11:8080 10.244.1.10:51522 - default"
)
TCP_LINE = (
    '[2026-05-04T09:12:02.000Z] "- - -" 0 - - - "-" 97 11 3 - "-" "-" "-" "-" '
    '"10.244.1.13:6379" outbound|6379||redis.shop.svc.cluster.local 10.244.1.12:40112 '
    "10.96.40.13:6379 10.244.1.12:40110 - -"
)
PASSTHROUGH_LINE = (
    '[2026-05-04T09:12:03.000Z] "- - -" 0 - - - "-" 517 4120 80 - "-" "-" "-" "-" '
    '"140.82.112.3:443" PassthroughCluster 10.244.1.10:51600 140.82.112.3:443 '
    "10.244.1.10:51598 github.com -"
)
BLOCK_ALL_LINE = (
    '[2026-05-04T09:12:03.877Z] "GET /ads HTTP/1.1" 502 - direct_response - "-" 0 0 0 - "-" '
    '"frontend/2.3" "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d" "ads.example.net" "-" - - '
    "93.184.215.14:80 10.244.1.10:51544 - block_all"
)
BLACKHOLE_LINE = (
    '[2026-05-04T09:12:04.000Z] "- - -" 0 UH - - "-" 0 0 0 - "-" "-" "-" "-" "-" '
    "BlackHoleCluster - 10.1.2.3:5432 10.244.1.10:51610 - -"
)
NO_ROUTE_LINE = (
    '[2026-05-04T09:12:05.000Z] "GET / HTTP/1.1" 404 NR route_not_found - "-" 0 0 0 - "-" '
    '"curl/8.5.0" "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e" "legacy.shop:8080" "-" - - '
    "10.96.40.99:8080 10.244.1.10:51620 - -"
)
INBOUND_LINE = (
    '[2026-05-04T09:12:06.000Z] "GET /healthz HTTP/1.1" 200 - via_upstream - "-" 0 2 1 1 "-" '
    '"kube-probe/1.30" "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f" "10.244.1.10:8080" '
    '"10.244.1.10:8080" inbound|8080|| 127.0.0.6:41000 10.244.1.10:8080 10.244.0.1:50000 '
    "outbound_.8080_._.frontend.shop.svc.cluster.local default"
)


def _json_line(**fields: object) -> str:
    base: dict[str, object] = {
        "start_time": "2026-05-04T09:12:01.409Z",
        "method": "POST",
        "path": "/charge",
        "protocol": "HTTP/1.1",
        "response_code": 200,
        "response_flags": "-",
        "response_code_details": "via_upstream",
        "connection_termination_details": None,
        "upstream_transport_failure_reason": None,
        "bytes_received": 230,
        "bytes_sent": 42,
        "duration": 31,
        "upstream_service_time": "30",
        "x_forwarded_for": None,
        "user_agent": "cart/1.8",
        "request_id": "3c2b1a09-8f7e-4d6c-9b5a-4c3d2e1f0a9b",
        "authority": "payments.billing:8080",
        "upstream_host": "10.244.2.20:8080",
        "upstream_cluster": "outbound|8080||payments.billing.svc.cluster.local",
        "upstream_local_address": "10.244.1.12:40120",
        "downstream_local_address": "10.96.41.20:8080",
        "downstream_remote_address": "10.244.1.12:40118",
        "requested_server_name": None,
        "route_name": "default",
    }
    base.update(fields)
    return json.dumps(base)


def _only(traffic: Traffic) -> Call:
    assert len(traffic.calls) == 1, traffic
    return traffic.calls[0]


# --------------------------------------------------------------------------- text format


def test_text_http_line_names_host_port_and_requested_host() -> None:
    call = _only(Traffic.from_text(HTTP_LINE, workload="shop/frontend"))
    assert (call.namespace, call.caller, call.caller_ip) == ("shop", "frontend", None)
    assert (call.host, call.port) == ("catalog.shop.svc.cluster.local", 8080)
    assert call.requested == "catalog.shop"
    assert call.outcome is Outcome.ROUTED


def test_without_a_workload_the_caller_is_the_downstream_address() -> None:
    call = _only(Traffic.from_text(TCP_LINE))
    assert (call.namespace, call.caller, call.caller_ip) == (None, None, "10.244.1.12")
    assert (call.host, call.port, call.requested) == ("redis.shop.svc.cluster.local", 6379, None)


def test_passthrough_names_the_sni_host_and_original_port() -> None:
    call = _only(Traffic.from_text(PASSTHROUGH_LINE, workload="shop/frontend"))
    assert (call.host, call.port, call.outcome) == ("github.com", 443, Outcome.PASSTHROUGH)


@pytest.mark.parametrize(
    ("line", "host", "port"),
    [
        (BLOCK_ALL_LINE, "ads.example.net", 80),
        (BLACKHOLE_LINE, "10.1.2.3", 5432),
        (NO_ROUTE_LINE, "legacy.shop", 8080),
    ],
)
def test_blocked_calls_are_calls_with_a_blocked_outcome(line: str, host: str, port: int) -> None:
    call = _only(Traffic.from_text(line, workload="shop/frontend"))
    assert (call.host, call.port, call.outcome) == (host, port, Outcome.BLOCKED)


def test_inbound_records_are_counted_not_read() -> None:
    traffic = Traffic.from_text(f"{INBOUND_LINE}\n{HTTP_LINE}\n", workload="shop/frontend")
    assert (traffic.records, traffic.ignored, len(traffic.calls)) == (2, 1, 1)
    assert traffic.problems == ()


def test_repeated_calls_are_one_call_with_a_count_and_first_source() -> None:
    text = f"{HTTP_LINE}\n{TCP_LINE}\n{HTTP_LINE}\n{HTTP_LINE}"
    traffic = Traffic.from_text(text, source="frontend.log", workload="shop/frontend")
    counts = {call.host: (call.count, call.source) for call in traffic.calls}
    assert counts == {
        "catalog.shop.svc.cluster.local": (3, "frontend.log:1"),
        "redis.shop.svc.cluster.local": (1, "frontend.log:2"),
    }


def test_malformed_text_lines_are_reported_with_line_numbers() -> None:
    short = HTTP_LINE.rsplit(" ", 3)[0]
    bad_cluster = HTTP_LINE.replace("outbound|8080|v1|", "outbound|http|v1|")
    unknown_cluster = HTTP_LINE.replace("outbound|8080|v1|catalog.shop.svc.cluster.local", "xds")
    text = (
        f"{HTTP_LINE}\n2026-05-04T09:12:02.000000Z\tinfo\tEnvoy proxy is ready\n{short}\n\n"
        f"{bad_cluster}\n{unknown_cluster}\n{TCP_LINE}"
    )
    traffic = Traffic.from_text(text, source="pod.log", workload="shop/frontend")
    assert [p.line for p in traffic.problems] == [2, 3, 5, 6]
    assert all(p.source == "pod.log" for p in traffic.problems)
    assert "not an access log record" in traffic.problems[0].message
    assert "fields where Istio's default text format has 22" in traffic.problems[1].message
    assert "outbound|PORT|SUBSET|HOST" in traffic.problems[2].message
    assert "'xds'" in traffic.problems[3].message
    assert (traffic.records, len(traffic.calls)) == (6, 2)
    assert str(traffic.problems[0]).startswith("pod.log:2: ")


# --------------------------------------------------------------------------- JSON format


def test_json_lines_read_like_text_lines() -> None:
    traffic = Traffic.from_text(
        "\n".join(
            [
                _json_line(),
                _json_line(
                    upstream_cluster="BlackHoleCluster",
                    authority=None,
                    requested_server_name=None,
                    downstream_local_address="10.1.2.3:5432",
                ),
                _json_line(route_name="block_all", upstream_cluster=None),
            ]
        ),
        workload="shop/cart",
    )
    routed, hole, block_all = traffic.calls
    assert (routed.host, routed.port, routed.requested) == (
        "payments.billing.svc.cluster.local",
        8080,
        "payments.billing",
    )
    assert (hole.host, hole.port, hole.outcome) == ("10.1.2.3", 5432, Outcome.BLOCKED)
    assert (block_all.host, block_all.outcome) == ("payments.billing", Outcome.BLOCKED)


def test_malformed_json_lines_are_reported() -> None:
    text = "\n".join(
        [
            _json_line(),
            '{"start_time": "2026-05-04T09:12:01.411Z", "upstream_cluster":',
            "[1, 2]",
            json.dumps({"start_time": "x"}),
            _json_line(downstream_local_address="10.0.0.1:http", upstream_cluster="-"),
        ]
    )
    traffic = Traffic.from_text(text, source="cart.log", workload="shop/cart")
    assert [p.line for p in traffic.problems] == [2, 3, 4, 5]
    assert "not valid JSON" in traffic.problems[0].message
    assert "no upstream_cluster" in traffic.problems[2].message
    assert "not a number" in traffic.problems[3].message
    assert len(traffic.calls) == 1


# --------------------------------------------------------------------------- Prometheus


def _series(value: str = "12", **labels: str) -> dict[str, object]:
    metric = {
        "__name__": "istio_requests_total",
        "reporter": "source",
        "source_workload": "frontend",
        "source_workload_namespace": "shop",
        "destination_service": "catalog.shop.svc.cluster.local",
        "destination_service_name": "catalog",
    }
    metric.update(labels)
    return {"metric": metric, "value": [1777885921.5, value]}


def _reply(kind: str, result: list[object]) -> str:
    return json.dumps({"status": "success", "data": {"resultType": kind, "result": result}})


def test_prometheus_vector_series_are_calls_on_every_port() -> None:
    text = _reply(
        "vector",
        [
            _series(),
            _series(
                __name__="istio_tcp_connections_opened_total",
                destination_service="redis.shop.svc.cluster.local",
            ),
            _series(value="0", destination_service="cart.shop.svc.cluster.local"),
            _series(destination_service="unknown", destination_service_name="PassthroughCluster"),
            _series(destination_service="10.1.2.3", destination_service_name="BlackHoleCluster"),
        ],
    )
    traffic = Traffic.from_text(text, source="q.json")
    assert [(c.who, c.host, c.port, c.outcome) for c in traffic.calls] == [
        ("shop/frontend", "catalog.shop.svc.cluster.local", None, Outcome.ROUTED),
        ("shop/frontend", "redis.shop.svc.cluster.local", None, Outcome.ROUTED),
        ("shop/frontend", "10.1.2.3", None, Outcome.BLOCKED),
    ]
    assert (traffic.records, traffic.ignored) == (5, 1)
    assert [p.path for p in traffic.problems] == ["data.result[3]"]
    assert "destination_service" in traffic.problems[0].message


def test_prometheus_matrix_and_malformed_series() -> None:
    ranged = _series()
    del ranged["value"]
    ranged["values"] = [[1.0, "0"], [2.0, "3"]]
    no_source = _series()
    no_source["metric"] = {"destination_service": "x"}
    bad_value = _series(value="many")
    text = _reply("matrix", [ranged, no_source, bad_value, "nonsense"])
    traffic = Traffic.from_text(text, source="range.json")
    assert [c.host for c in traffic.calls] == ["catalog.shop.svc.cluster.local"]
    assert [p.path for p in traffic.problems] == [
        "data.result[1]",
        "data.result[2]",
        "data.result[3]",
    ]


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error"}),
        json.dumps({"status": "success", "data": {"resultType": "scalar", "result": [1, "2"]}}),
    ],
)
def test_prometheus_replies_that_are_not_results_are_errors(text: str) -> None:
    with pytest.raises(TrafficError, match=r"q\.json"):
        Traffic.from_text(text, source="q.json")


# --------------------------------------------------------------------------- declared


def test_declared_dependencies_with_line_numbers_for_bad_entries() -> None:
    text = (
        "shop/frontend:\n"
        "- catalog\n"
        "- payments.billing.svc.cluster.local\n"
        "- api.stripe.com:443\n"
        "- api.stripe.com:http\n"
        "- {host: x}\n"
        "frontend:\n"
        "- catalog\n"
        "shop/cart: catalog\n"
    )
    traffic = Traffic.from_text(text, source="deps.yaml")
    assert [(c.who, c.host, c.port, c.source) for c in traffic.calls] == [
        ("shop/frontend", "catalog", None, "deps.yaml:2"),
        ("shop/frontend", "payments.billing.svc.cluster.local", None, "deps.yaml:3"),
        ("shop/frontend", "api.stripe.com", 443, "deps.yaml:4"),
    ]
    assert [(p.line, p.path) for p in traffic.problems] == [
        (5, "shop/frontend[3]"),
        (6, "shop/frontend[4]"),
        (7, "frontend"),
        (9, "shop/cart"),
    ]


@pytest.mark.parametrize("text", ["- a\n- b\n", "key: [unclosed\n"])
def test_declared_yaml_that_is_no_mapping_is_an_error(text: str) -> None:
    with pytest.raises(TrafficError):
        Traffic.from_text(text, source="deps.yaml")


# --------------------------------------------------------------------------- loading


def test_load_detects_the_format_of_each_file(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(HTTP_LINE + "\n")
    (tmp_path / "q.json").write_text(_reply("vector", [_series()]))
    (tmp_path / "deps.yaml").write_text("shop/cart:\n- redis:6379\n")
    log = Traffic.load(tmp_path / "a.log", workload="shop/frontend")
    assert _only(log).who == "shop/frontend"
    assert _only(Traffic.load(tmp_path / "q.json")).port is None
    assert _only(Traffic.load(tmp_path / "deps.yaml")).target == "redis:6379"


def test_a_folder_of_ns_pod_logs_names_each_caller(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "frontend-7c9f8-x2k4q.log").write_text(HTTP_LINE + "\n")
    (tmp_path / "shop" / "cart-6b5a4-klmno.log").write_text(_json_line() + "\n{oops\n")
    (tmp_path / "deps.yaml").write_text("billing/ledger:\n- payments\n")
    traffic = Traffic.load(tmp_path)
    assert sorted(c.who for c in traffic.calls) == [
        "billing/ledger",
        "shop/cart-6b5a4-klmno",
        "shop/frontend-7c9f8-x2k4q",
    ]
    assert [(p.source, p.line) for p in traffic.problems] == [
        (str(tmp_path / "shop" / "cart-6b5a4-klmno.log"), 2)
    ]


def test_unreadable_input_is_a_sidecar_model_error(tmp_path: Path) -> None:
    with pytest.raises(TrafficError, match="cannot read") as raised:
        Traffic.load(tmp_path / "missing.log")
    assert isinstance(raised.value, SidecarModelError)
    with pytest.raises(TrafficError, match="NS/NAME"):
        Traffic.load(tmp_path, workload="frontend")


def test_merge_adds_counts_and_keeps_every_problem() -> None:
    one = Traffic.from_text(HTTP_LINE + "\nbad\n", workload="shop/frontend")
    both = one + one
    assert _only(both).count == 2
    assert (both.records, len(both.problems)) == (4, 2)
    assert both.to_dict()["calls"][0]["count"] == 2
    assert "1 distinct calls from 4 records" in str(both)
